import type { FlagBackend } from "../backend";
import { toFlagdDocument } from "./document";
import { FLAGD_PORT, FlagdServer } from "./server";

/** flagd on the cluster: the document in a ConfigMap, served to the Kubernetes services' namespace; nothing to make for ECS. */
export const flagdBackend: FlagBackend = {
  capabilities: { ramp: false, alarmRollback: false, documentFormat: "flagd" },
  document: toFlagdDocument,
  sidecars: () => [],
  problems: () => [],
  serveKubernetes(environment, cluster, opts) {
    const name = `${environment.name}-flagd`;
    return {
      flagd: new FlagdServer(name, { provider: cluster.provider, namespace: cluster.namespace, document: JSON.stringify(toFlagdDocument(environment.flags)) }, opts),
      environmentVariables: { FLAGD_HOST: `${name}.${cluster.namespace}.svc.cluster.local`, FLAGD_PORT: String(FLAGD_PORT) },
    };
  },
};
