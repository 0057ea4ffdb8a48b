import type { SynthDocument, SynthResource } from "../capture";

// The head stack as a Mermaid diagram, for the markdown diff.

const mermaidId = (text: string) => text.replace(/[^A-Za-z0-9_]/g, "_");
const mermaidLabel = (text: string) => text.replace(/["<>]/g, "");

/** The head stack as GitHub renders it: load balancer -> rules -> target groups -> services; alarms -> services; flag store. */
export function mermaidDiagram(head: SynthDocument): string {
  const lines = ["flowchart LR"];
  const byArn = new Map<string, SynthResource>();
  for (const resource of head.resources) if (typeof resource.outputs.arn === "string") byArn.set(resource.outputs.arn, resource);
  const node = (resource: SynthResource, shape: "box" | "round" | "hex" = "box") => {
    const id = mermaidId(`${resource.type.split(":").pop()}_${resource.name}`);
    const label = mermaidLabel(resource.name);
    lines.push(shape === "round" ? `  ${id}(["${label}"])` : shape === "hex" ? `  ${id}{{"${label}"}}` : `  ${id}["${label}"]`);
    return id;
  };
  const of = (type: string) => head.resources.filter((resource) => resource.type === type);
  const ids = new Map<string, string>();
  for (const lb of of("aws:lb/loadBalancer:LoadBalancer")) ids.set(lb.urn, node(lb, "round"));
  const listeners = new Map(of("aws:lb/listener:Listener").map((listener) => [listener.outputs.arn, listener]));
  for (const rule of of("aws:lb/listenerRule:ListenerRule")) {
    const id = node(rule);
    const listener = listeners.get(rule.inputs.listenerArn as string);
    const lb = listener ? byArn.get(String(listener.inputs.loadBalancerArn)) : undefined;
    if (lb && ids.has(lb.urn)) lines.push(`  ${ids.get(lb.urn)} --> ${id}`);
    const groups = ((rule.inputs.actions as { forward?: { targetGroups?: { arn: string; weight: number }[] } }[] | undefined) ?? []).flatMap(
      (action) => action.forward?.targetGroups ?? [],
    );
    for (const group of groups) {
      const target = byArn.get(group.arn);
      if (!target) continue;
      if (!ids.has(target.urn)) ids.set(target.urn, node(target));
      lines.push(`  ${id} -->|${group.weight}| ${ids.get(target.urn)}`);
    }
  }
  for (const service of of("aws:ecs/service:Service")) {
    const id = node(service, "hex");
    ids.set(service.urn, id);
    const balancers = (service.inputs.loadBalancers as { targetGroupArn?: string; advancedConfiguration?: { alternateTargetGroupArn?: string } }[] | undefined) ?? [];
    for (const balancer of balancers) {
      for (const arn of [balancer.targetGroupArn, balancer.advancedConfiguration?.alternateTargetGroupArn]) {
        const target = arn ? byArn.get(arn) : undefined;
        if (target && ids.has(target.urn)) lines.push(`  ${ids.get(target.urn)} --> ${id}`);
      }
    }
    const alarms = head.resources.find((resource) => resource.type === "release:aws:DeploymentAlarms" && resource.parent === service.parent);
    if (alarms) lines.push(`  ${node(alarms)} -.->|rollback| ${id}`);
  }
  for (const store of of("release:aws:FeatureFlagStore")) {
    const id = node(store, "round");
    for (const alarms of of("release:aws:DeploymentAlarms")) lines.push(`  ${mermaidId(`DeploymentAlarms_${alarms.name}`)} -.->|monitors| ${id}`);
  }
  return lines.join("\n");
}
