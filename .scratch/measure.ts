import { toAppConfigDocument } from "../components/feature-flag-store/documents";
import { evaluateAppConfig } from "../src/flags/appconfig-rules";
import { flagdEngine } from "../src/flags/explain";
const base = { description: "d", owner: "o", expires: "2027-01-01", enabled: true };
const users = Array.from({ length: 10000 }, (_, i) => ({ userId: `user-${i}` }));
function measure(flags: any, child: string, parent: string) {
  const e = flagdEngine(flags); const d = toAppConfigDocument(flags);
  let of = 0, oa = 0, cf = 0, ca = 0;
  for (const u of users) {
    const pf = e.resolveBooleanEvaluation(parent, false, u).value, xf = e.resolveBooleanEvaluation(child, false, u).value;
    const pa = evaluateAppConfig(d, parent, u).enabled, xa = evaluateAppConfig(d, child, u).enabled;
    if (xf && !pf) of++; if (xa && !pa) oa++; if (xf) cf++; if (xa) ca++;
  }
  return { orphansFlagd: of, orphansAppConfig: oa, childOnFlagd: cf, childOnAppConfig: ca };
}
const parent = { ...base, rollout: { percent: 25, by: "userId" } };
console.log("before (own seeds, no guard):", measure({ "new-checkout": parent, "express-pay": { ...base, rollout: { percent: 10 } } }, "express-pay", "new-checkout"));
console.log("after (dependsOn):", measure({ "new-checkout": parent, "express-pay": { ...base, rollout: { percent: 10 }, dependsOn: ["new-checkout"] } }, "express-pay", "new-checkout"));
function sticky(a: number, b: number) {
  const f1 = flagdEngine({ x: { ...base, rollout: { percent: a } } } as any), f2 = flagdEngine({ x: { ...base, rollout: { percent: b } } } as any);
  const d1 = toAppConfigDocument({ x: { ...base, rollout: { percent: a } } } as any), d2 = toAppConfigDocument({ x: { ...base, rollout: { percent: b } } } as any);
  let hf = 0, kf = 0, ha = 0, ka = 0, nf = 0, na = 0;
  for (const u of users) {
    const a1 = f1.resolveBooleanEvaluation("x", false, u).value, a2 = f2.resolveBooleanEvaluation("x", false, u).value;
    const b1 = evaluateAppConfig(d1, "x", u).enabled, b2 = evaluateAppConfig(d2, "x", u).enabled;
    if (a1) { hf++; if (a2) kf++; } if (b1) { ha++; if (b2) ka++; } if (a2) nf++; if (b2) na++;
  }
  return { flagd: `${kf}/${hf} kept, ${nf} after`, appconfig: `${ka}/${ha} kept, ${na} after` };
}
console.log("10->25:", sticky(10, 25));
for (const [a, b] of [[1, 5], [5, 25], [25, 50], [50, 100]]) console.log(`${a}->${b}:`, sticky(a, b));
