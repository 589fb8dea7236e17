import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { KitError } from "../../lib/io/mod.ts";
import {
  formatPckTable,
  headSize,
  pckh,
  PCKH_CURVE_ALPHAS,
  pckhByVisibility,
} from "../../lib/metrics/mod.ts";
import { J, PARTS } from "../../lib/skeleton/mod.ts";
import { lineGroundTruth, shifted } from "./fixtures.ts";

// Head size 20 for everyone: alpha 0.5 means 10 px.
const heads = (n: number) => new Float64Array(n).fill(20);

Deno.test("the head size is 0.6 times the head box diagonal", () => {
  assertAlmostEquals(headSize([0, 0, 30, 40]), 30, 1e-12);
  assertAlmostEquals(headSize([10, 50, 4, 42]), 6, 1e-12);
});

Deno.test("perfect predictions score 100 in every column under both conventions", () => {
  const gt = lineGroundTruth(3);
  for (const convention of ["bearpaw", "official"] as const) {
    const r = pckh(gt, gt.coords, heads(3), { convention });
    for (const p of PARTS) assertEquals(r.parts[p], 100);
    assertEquals([r.mean, r.weightedMean, r.upperBody], [100, 100, 100]);
    assertEquals(r.perJoint, new Array(16).fill(100));
  }
});

Deno.test("predictions 11 px off (0.55 head sizes) all miss at alpha 0.5 and all hit at 0.6", () => {
  const gt = lineGroundTruth(2);
  const pred = shifted(gt, () => 11);
  const miss = pckh(gt, pred, heads(2));
  for (const p of PARTS) assertEquals(miss.parts[p], 0);
  assertEquals(miss.mean, 0);
  const hit = pckh(gt, pred, heads(2), { alpha: 0.6 });
  assertEquals(hit.mean, 100);
});

Deno.test("a distance of exactly alpha head sizes misses under bearpaw (<) and hits under official (<=)", () => {
  const gt = lineGroundTruth(1);
  const pred = shifted(gt, () => 10); // 10 / 20 = 0.5 exactly
  assertEquals(pckh(gt, pred, heads(1), { convention: "bearpaw" }).mean, 0);
  assertEquals(pckh(gt, pred, heads(1), { convention: "official" }).mean, 100);
});

Deno.test("missing joints are left out of the counts, not scored as misses", () => {
  const gt = lineGroundTruth(2);
  // Person 1's wrists are not annotated and predicted far away.
  gt.visibility[16 + J.l_wrist] = 0;
  gt.visibility[16 + J.r_wrist] = 0;
  const pred = shifted(gt, (i, j) => (i === 1 && (j === J.l_wrist || j === J.r_wrist) ? 500 : 0));
  const r = pckh(gt, pred, heads(2));
  assertEquals(r.parts.Wrist, 100);
  assertEquals(r.counts[J.l_wrist], 1);
  assertEquals(r.counts[J.head_top], 2);
});

Deno.test("a NaN prediction is a miss and is counted", () => {
  const gt = lineGroundTruth(2);
  const pred = Float64Array.from(gt.coords);
  pred[(0 * 16 + J.head_top) * 2] = NaN;
  const r = pckh(gt, pred, heads(2));
  assertEquals(r.parts.Head, 50);
  assertEquals(r.nonFinitePredictions, 1);
});

Deno.test("a zero head size is a KitError naming the person, or the person is excluded and listed", () => {
  const gt = lineGroundTruth(3);
  const hs = Float64Array.of(20, 0, 20);
  assertThrows(() => pckh(gt, gt.coords, hs), KitError, "person 1: head size is 0");
  const r = pckh(gt, shifted(gt, (i) => (i === 1 ? 999 : 0)), hs, { zeroHeadSize: "exclude" });
  assertEquals(r.excludedPeople, [1]);
  assertEquals(r.mean, 100);
  assertEquals(r.counts[J.head_top], 2);
  // A person with no annotated joint needs no head size.
  gt.visibility.fill(0, 16, 32);
  assertEquals(pckh(gt, gt.coords, hs).counts[J.head_top], 2);
});

Deno.test("Head is the head top under bearpaw and the mean of neck and head top under official", () => {
  const gt = lineGroundTruth(2);
  // Upper neck always wrong, head top always right.
  const pred = shifted(gt, (_, j) => (j === J.upper_neck ? 50 : 0));
  assertEquals(pckh(gt, pred, heads(2), { convention: "bearpaw" }).parts.Head, 100);
  assertEquals(pckh(gt, pred, heads(2), { convention: "official" }).parts.Head, 50);
});

Deno.test("bearpaw's Mean averages joint rates; official's and the weighted mean pool the counts", () => {
  // 4 people; left ankle annotated once (and wrong), every other joint annotated 4 times (right).
  const gt = lineGroundTruth(4);
  for (let i = 1; i < 4; i++) gt.visibility[i * 16 + J.l_ankle] = 0;
  const pred = shifted(gt, (_, j) => (j === J.l_ankle ? 50 : 0));
  const b = pckh(gt, pred, heads(4), { convention: "bearpaw" });
  // 14 joints in the mean: 13 at 100 and the left ankle at 0.
  assertAlmostEquals(b.mean!, (13 * 100) / 14, 1e-9);
  assertEquals(b.parts.Ankle, 50);
  // Pooled: 13 * 4 = 52 right out of 53.
  assertAlmostEquals(b.weightedMean!, (100 * 52) / 53, 1e-9);
  const o = pckh(gt, pred, heads(4), { convention: "official" });
  assertAlmostEquals(o.mean!, (100 * 52) / 53, 1e-9);
});

Deno.test("pelvis and thorax stay out of the Mean", () => {
  const gt = lineGroundTruth(1);
  const pred = shifted(gt, (_, j) => (j === J.pelvis || j === J.thorax ? 50 : 0));
  const r = pckh(gt, pred, heads(1));
  assertEquals([r.mean, r.weightedMean], [100, 100]);
  assertEquals(r.perJoint[J.pelvis], 0);
});

Deno.test("a part with no annotated joint is null in the result and '-' in the table, never NaN", () => {
  const gt = lineGroundTruth(2);
  for (let i = 0; i < 2; i++) {
    gt.visibility[i * 16 + J.l_ankle] = 0;
    gt.visibility[i * 16 + J.r_ankle] = 0;
  }
  const r = pckh(gt, gt.coords, heads(2));
  assertEquals(r.parts.Ankle, null);
  assertEquals(r.perJoint[J.l_ankle], null);
  assertEquals(r.mean, 100);
  const table = formatPckTable([{ label: "x", result: r }]);
  assertEquals(table.includes("NaN"), false);
  assertEquals(table.split("\n")[1]!.trim().split(/\s+/), [
    "x",
    "100.00",
    "100.00",
    "100.00",
    "100.00",
    "100.00",
    "100.00",
    "-",
    "100.00",
  ]);
});

Deno.test("the AUC over alpha in [0, 0.5] is worked out by hand for perfect predictions", () => {
  const gt = lineGroundTruth(1);
  assertEquals(PCKH_CURVE_ALPHAS.length, 51);
  assertEquals(PCKH_CURVE_ALPHAS[7], 0.07);
  // official (<=): 100 at every alpha including 0.
  assertAlmostEquals(pckh(gt, gt.coords, heads(1), { convention: "official" }).auc!, 100, 1e-9);
  // bearpaw (<): 0 at alpha 0 (0 < 0 is false), then 100: (0.01 * 50 + 0.49 * 100) / 0.5 = 99.
  assertAlmostEquals(pckh(gt, gt.coords, heads(1)).auc!, 99, 1e-9);
});

Deno.test("the curve rises with alpha: a 5 px error is counted from alpha 0.26 on", () => {
  const gt = lineGroundTruth(1);
  const r = pckh(gt, shifted(gt, () => 5), heads(1)); // 0.25 head sizes
  const at = (a: number) => r.curve.mean[PCKH_CURVE_ALPHAS.indexOf(a)];
  assertEquals([at(0.25), at(0.26), at(0.5)], [0, 100, 100]);
  // (0.5 - 0.25) of the range at 100, a half-step ramp: (0.24 * 100 + 0.01 * 50) / 0.5 = 49.
  assertAlmostEquals(r.auc!, 49, 1e-9);
});

Deno.test("the visibility split counts visible and occluded joints separately", () => {
  const gt = lineGroundTruth(2);
  // Person 0's wrists are occluded and predicted wrong; person 1's are visible and right.
  gt.visibility[J.l_wrist] = 1;
  gt.visibility[J.r_wrist] = 1;
  const pred = shifted(gt, (i, j) => (i === 0 && (j === J.l_wrist || j === J.r_wrist) ? 50 : 0));
  const { all, visible, occluded } = pckhByVisibility(gt, pred, heads(2));
  assertEquals([all.parts.Wrist, visible.parts.Wrist, occluded.parts.Wrist], [50, 100, 0]);
  assertEquals(occluded.parts.Head, null);
  assertEquals(occluded.counts[J.l_wrist], 1);
});

Deno.test("mismatched sizes are KitErrors that say what was expected", () => {
  const gt = lineGroundTruth(2);
  assertThrows(() => pckh(gt, new Float64Array(10), heads(2)), KitError, "expected 2 people");
  assertThrows(() => pckh(gt, gt.coords, heads(3)), KitError, "head size: 3 values for 2 people");
});
