/** A container image reference: `[registry/]repository[:tag][@digest]`, as Docker and ECR parse it. */
export const IMAGE_REFERENCE =
  /^(?:(?<registry>[a-zA-Z0-9.-]+(?::\d+)?)\/)?(?<repository>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/** The tag of an image reference, if it has one. */
export function imageTag(image: string): string | undefined {
  return IMAGE_REFERENCE.exec(image)?.groups?.tag;
}
