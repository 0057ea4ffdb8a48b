import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { NAME_LIMITS, physicalName } from "../naming";
import type { ChildContext } from "./child-context";

/** The pods' service account, and with EKS Pod Identity the role its pods assume. */
export interface ServiceAccount {
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  /** The service account's role, for grants such as FeatureFlagStore.grantRead. */
  readonly role?: aws.iam.Role;
}

/** The service account named as the service; with `clusterName`, a role EKS Pod Identity gives its pods. */
export function createServiceAccount(context: ChildContext, namePrefix: string, podIdentity?: { readonly clusterName: pulumi.Input<string> }): ServiceAccount {
  const { name, namespace, meta, k8sOpts, awsOpts, tags } = context;
  const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-sa`, { metadata: meta(name) }, k8sOpts);
  if (!podIdentity) return { serviceAccount };
  const role = new aws.iam.Role(
    `${name}-pod`,
    {
      name: physicalName([namePrefix, name], "pod", NAME_LIMITS.iamRole),
      // EKS Pod Identity assumes the role for the service account's pods; it needs TagSession as well.
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
      }),
      tags,
    },
    awsOpts,
  );
  new aws.eks.PodIdentityAssociation(
    `${name}-pod`,
    { clusterName: podIdentity.clusterName, namespace, serviceAccount: name, roleArn: role.arn, tags },
    { ...awsOpts, dependsOn: [serviceAccount] },
  );
  return { serviceAccount, role };
}
