import { assertAlmostEquals, assertEquals } from "@std/assert";
import { formatPerJoint, formatRate, pckh, pckJson } from "../../lib/metrics/mod.ts";
import { lineGroundTruth } from "./fixtures.ts";

Deno.test("rates print with two decimals and a dash where undefined", () => {
  assertEquals([formatRate(81.456), formatRate(null), formatRate(NaN)], ["81.46", "-", "-"]);
});

Deno.test("the JSON summary carries the table's columns, per-joint rates and the AUC", () => {
  const gt = lineGroundTruth(1);
  const json = pckJson(pckh(gt, gt.coords, new Float64Array([20])));
  for (const k of ["Head", "Shoulder", "Elbow", "Wrist", "Hip", "Knee", "Ankle", "Mean"]) {
    assertEquals((json as unknown as Record<string, number>)[k], 100);
  }
  assertEquals(json.perJoint.length, 16);
  assertAlmostEquals(json.auc!, 99, 1e-9);
  assertEquals(JSON.parse(JSON.stringify(json)).weightedMean, 100);
});

Deno.test("the per-joint listing names every joint with its count", () => {
  const gt = lineGroundTruth(2);
  const text = formatPerJoint(pckh(gt, gt.coords, new Float64Array([20, 20])));
  const lines = text.split("\n");
  assertEquals(lines.length, 16);
  assertEquals(lines[0]!.replace(/\s+/g, " "), "right ankle 100.00 (2 annotated)");
});
