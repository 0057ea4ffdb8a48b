import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** What each child of a KubernetesService is made with: its names and labels, and the options that parent it. */
export interface ChildContext {
  /** The service's name: the Rollout's, the service account's, and the prefix of every child's. */
  readonly name: string;
  readonly namespace: string;
  /** The label the Services, the Rollout and the disruption budget select the pods by. */
  readonly selector: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** A Kubernetes object's metadata: its name, in the service's namespace, with the service's labels. */
  readonly meta: (objectName: string) => Record<string, unknown>;
  readonly parent: pulumi.Resource;
  /** Kubernetes objects: parented to the service, created through the cluster's provider. */
  readonly k8sOpts: pulumi.CustomResourceOptions;
  /** AWS resources: parented to the service. */
  readonly awsOpts: pulumi.CustomResourceOptions;
  readonly tags: Readonly<Record<string, string>>;
}

export function childContext(name: string, namespace: string, parent: pulumi.Resource, provider: k8s.Provider): ChildContext {
  const selector = { "app.kubernetes.io/name": name };
  const labels = { ...selector, "app.kubernetes.io/managed-by": "release-platform" };
  return {
    name,
    namespace,
    selector,
    labels,
    meta: (objectName) => ({ name: objectName, namespace, labels: { ...labels } }),
    parent,
    k8sOpts: { parent, provider },
    awsOpts: { parent },
    tags: { service: name },
  };
}
