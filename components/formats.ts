import { isIPv4, isIPv6 } from "node:net";
import { z } from "zod";
import * as pulumi from "@pulumi/pulumi";
import { IMAGE_REFERENCE } from "./service/image";

/**
 * A stack file's `secure:` value cannot be decrypted offline. Synthesis puts this placeholder in its
 * place; format checks accept it, because the real value is checked when `pulumi up` decrypts it.
 */
export const SECURE_PLACEHOLDER = "[secret]";

function formatted(test: (value: string) => boolean, expected: string) {
  return z
    .string({ error: `expected ${expected}` })
    .refine((value) => value === SECURE_PLACEHOLDER || test(value), { error: `expected ${expected}` })
    .describe(expected);
}

const matches = (pattern: RegExp) => (value: string) => pattern.test(value);

export const vpcId = formatted(matches(/^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/), "a VPC id like vpc-0abc12345def67890");
export const subnetId = formatted(
  matches(/^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/),
  "a subnet id like subnet-0abc12345def67890",
);
export const securityGroupId = formatted(
  matches(/^sg-[0-9a-f]{8}([0-9a-f]{9})?$/),
  "a security group id like sg-0abc12345def67890",
);
export const certificateArn = formatted(
  matches(/^arn:aws[a-z-]*:acm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:certificate\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
  "an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<uuid>)",
);
export const secretReferenceArn = formatted(
  matches(
    /^arn:aws[a-z-]*:(secretsmanager:[a-z]{2}(-[a-z]+)+-\d:\d{12}:secret:[\w/+=.@-]+(:[\w-]*:[\w-]*:[\w-]*)?|ssm:[a-z]{2}(-[a-z]+)+-\d:\d{12}:parameter\/[\w/.-]+)$/,
  ),
  "a Secrets Manager secret ARN or an SSM parameter ARN",
);
export const awsRegion = z
  .string({ error: "expected an AWS region like eu-west-1" })
  .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "expected an AWS region like eu-west-1" });

/** True when `image` is a container image reference pinned to a tag or a digest. */
export function isPinnedImage(image: string): boolean {
  const match = IMAGE_REFERENCE.exec(image);
  return match !== null && (match.groups?.tag !== undefined || match.groups?.digest !== undefined);
}

export const image = formatted(
  isPinnedImage,
  "an image reference pinned to a tag or digest, like 123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout:1.4.2",
);

export function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split("/");
  if (rest.length > 0 || prefix === undefined || !/^\d{1,3}$/.test(prefix)) return false;
  const bits = Number(prefix);
  if (isIPv4(address)) return bits <= 32;
  if (isIPv6(address)) return bits <= 128;
  return false;
}

export const cidr = formatted(isCidr, "a CIDR block like 10.0.0.0/16 or 0.0.0.0/0");

export const email = formatted(
  matches(/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/),
  "an e-mail address",
);

export const httpsUrl = formatted((value) => {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}, "an https:// URL");

export const stackReference = z
  .string({ error: "expected a stack reference like org/network/production" })
  .regex(/^[\w.-]+\/[\w.-]+\/[\w.-]+$/, { error: "expected a stack reference like org/network/production" });

/** The Output alternatives `orOutput` adds to plain schemas (a stack file's JSON Schema leaves them out). */
export const PULUMI_OUTPUTS = z.registry();

/**
 * A value a component types `pulumi.Input<T>`: an Output (its value is known only once its resource exists, so the
 * plain schema cannot judge it) or a plain value the schema accepts. A wrong plain value keeps the plain schema's
 * message; one of neither kind gets the plain schema's message for a value of the wrong type.
 */
export function orOutput<T extends z.ZodType>(plain: T) {
  const output = z.custom<pulumi.Output<z.output<T>>>((value) => pulumi.Output.isInstance(value), { abort: true }).register(PULUMI_OUTPUTS, {});
  return z.union([output, plain], {
    error: (issue) => (issue.code === "invalid_union" ? issue.errors[1]?.[0]?.message : undefined),
  });
}
