import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { refuseBadArguments } from "../../../arguments";

/** @internal */
/**
 * flagd pinned to a release; 8013 evaluates (gRPC and HTTP), 8014 answers health checks, 8016 speaks OFREP.
 *
 * The release buckets users as `@openfeature/flagd-core` 4.x does (the engine of `flags --explain` and the tests):
 * `bucket := (uint64(hashValue) * uint64(totalWeight)) >> 32` (core/pkg/evaluator/fractional.go, commit 7190878f,
 * first tagged flagd/v0.15.0, whose notes warn "Pseudorandom hash assignments will change with this release"). Before
 * it (v0.11.1 was pinned here) 2,573 of 10,000 users got another bucket at 25%. v0.16.1 also carries v0.15.5's
 * jsonlogic and/or fix, which the documents' splits (`and`) rely on. test/flagd-fractional.test.ts implements this
 * release's algorithm and fails for any other tag: a bump is a reshuffle of every partial rollout (README).
 */
export const FLAGD_IMAGE = "ghcr.io/open-feature/flagd:v0.16.1";
/** @internal */
export const FLAGD_PORT = 8013;
const MANAGEMENT_PORT = 8014;
const OFREP_PORT = 8016;

export interface FlagdServerArgs {
  /** The cluster's provider: the ConfigMap, Deployment and Service are created through it. */
  readonly provider: k8s.Provider;
  /** Namespace of flagd's objects (it must exist or be created by the caller). */
  readonly namespace: string;
  /** The flagd flag document (toFlagdDocument), as JSON. */
  readonly document: string;
  /** @default 2 */
  readonly replicas?: number;
}

/** flagd serving the stack's flags to a namespace: the document in a ConfigMap, a Deployment reading it, a Service. */
export class FlagdServer extends pulumi.ComponentResource {
  /** e.g. `flagd.shop.svc.cluster.local:8013` */
  public readonly address: string;

  constructor(name: string, args: FlagdServerArgs, opts?: pulumi.ComponentResourceOptions) {
    const replicas = args.replicas ?? 2;
    refuseBadArguments("FlagdServer", name, [
      ...(Number.isInteger(replicas) && replicas >= 1 ? [] : [{ field: ["replicas"], message: "must be at least 1", got: replicas }]),
      ...(isJson(args.document) ? [] : [{ field: ["document"], message: "must be JSON", got: undefined }]),
    ]);
    super("release:kubernetes:FlagdServer", name, {}, opts);
    const child: pulumi.CustomResourceOptions = { parent: this, provider: args.provider };
    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "release-platform" };
    const selector = { "app.kubernetes.io/name": name };
    const meta = { name, namespace: args.namespace, labels };

    const configMap = new k8s.core.v1.ConfigMap(`${name}-flags`, { metadata: meta, data: { "flags.flagd.json": args.document } }, child);
    const probe = (path: string) => ({ httpGet: { path, port: MANAGEMENT_PORT }, periodSeconds: 10 });
    new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: meta,
        spec: {
          replicas,
          selector: { matchLabels: selector },
          template: {
            metadata: {
              labels,
              // A new document restarts the pods at once rather than when the kubelet next syncs the mounted ConfigMap.
              annotations: { "release-platform/flags-sha256": createHash("sha256").update(args.document).digest("hex") },
            },
            spec: {
              containers: [
                {
                  name: "flagd",
                  image: FLAGD_IMAGE,
                  args: ["start", "--uri", "file:/etc/flagd/flags.flagd.json"],
                  ports: [
                    { name: "flagd", containerPort: FLAGD_PORT },
                    { name: "management", containerPort: MANAGEMENT_PORT },
                    { name: "ofrep", containerPort: OFREP_PORT },
                  ],
                  readinessProbe: probe("/readyz"),
                  livenessProbe: probe("/healthz"),
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
                  volumeMounts: [{ name: "flags", mountPath: "/etc/flagd", readOnly: true }],
                },
              ],
              volumes: [{ name: "flags", configMap: { name: configMap.metadata.name } }],
            },
          },
        },
      },
      child,
    );
    new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: meta,
        spec: {
          selector,
          ports: [
            { name: "flagd", port: FLAGD_PORT, targetPort: FLAGD_PORT },
            { name: "ofrep", port: OFREP_PORT, targetPort: OFREP_PORT },
          ],
        },
      },
      child,
    );
    this.address = `${name}.${args.namespace}.svc.cluster.local:${FLAGD_PORT}`;
    this.registerOutputs({ address: this.address });
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
