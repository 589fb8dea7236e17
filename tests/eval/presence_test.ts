import { assert, assertEquals } from "@std/assert";
import { presenceAnalysis, presenceTraining } from "../../lib/eval/mod.ts";

Deno.test("a presence analysis says whether the model was trained with Newell's all-zero maps", () => {
  const zero = presenceTraining("zero");
  assertEquals(zero.missing, "zero");
  assert(zero.note.includes("all-zero maps"), zero.note);
  const ignored = presenceTraining("ignore");
  assert(ignored.note.includes('"ignore"'), ignored.note);
  assert(!ignored.note.startsWith("trained with all-zero"), ignored.note);
});

Deno.test("the presence analysis scores knees and ankles by heatmap maximum and carries the caption", () => {
  // Two people, 16 joints: person 0 has every joint annotated and confident (.9), person 1 has
  // no knees or ankles annotated and low maxima there (.1): perfect separation, AUC 100.
  const vis = [new Array(16).fill(2), new Array(16).fill(2)];
  for (const j of [1, 4, 0, 5]) vis[1]![j] = 0; // r_knee, l_knee, r_ankle, l_ankle
  const confidence = Float64Array.from([
    ...new Array(16).fill(0.9),
    ...vis[1]!.map((v) => (v > 0 ? 0.8 : 0.1)),
  ]);
  const gt = { count: 2, numJoints: 16, coords: new Array(64).fill(0), visibility: vis.flat() };
  const p = presenceAnalysis({ confidence, gt }, "zero");
  assertEquals([p.curves.knee.auc, p.curves.ankle.auc], [100, 100]);
  assertEquals([p.curves.knee.positives, p.curves.knee.negatives], [2, 2]);
  assertEquals(p.training.missing, "zero");
});
