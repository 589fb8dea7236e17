import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  drawGaussian,
  encodeHeatmaps,
  fromMapCoord,
  inFrame,
  keypointsToMap,
  occlusionAmplitudes,
  toMapCoord,
} from "../../lib/heatmap/mod.ts";
import type { Keypoint } from "../../lib/skeleton/mod.ts";

const at = (map: Float32Array, w: number, c: number, x: number, y: number, j = 0) =>
  map[(y * w + x) * c + j]!;

Deno.test("a joint on a pixel centre peaks at 1 there with exp(-1/2) at its 4-neighbours", () => {
  const { heatmaps, weights } = encodeHeatmaps([[3, 2, 2]], { width: 8, height: 6, sigma: 1 });
  assertEquals(weights[0], 1);
  assertEquals(at(heatmaps, 8, 1, 3, 2), 1);
  for (const [x, y] of [[2, 2], [4, 2], [3, 1], [3, 3]]) {
    assertAlmostEquals(at(heatmaps, 8, 1, x!, y!), Math.exp(-0.5), 1e-6);
  }
  assertAlmostEquals(at(heatmaps, 8, 1, 4, 3), Math.exp(-1), 1e-6);
  // The 3σ box: 3 px away still drawn, 4 px away zero.
  assertAlmostEquals(at(heatmaps, 8, 1, 6, 2), Math.exp(-4.5), 1e-6);
  assertEquals(at(heatmaps, 8, 1, 7, 2), 0);
});

Deno.test("a sub-pixel centre splits the peak between its two nearest pixels", () => {
  // Centre at x = 3.5: pixels 3 and 4 are 0.5 px away, exp(-0.125) each.
  const { heatmaps } = encodeHeatmaps([[3.5, 2, 2]], { width: 8, height: 6, sigma: 1 });
  assertAlmostEquals(at(heatmaps, 8, 1, 3, 2), Math.exp(-0.125), 1e-6);
  assertAlmostEquals(at(heatmaps, 8, 1, 4, 2), Math.exp(-0.125), 1e-6);
  assertAlmostEquals(at(heatmaps, 8, 1, 2, 2), Math.exp(-1.125), 1e-6);
  // x = 3.25 leans towards pixel 3: exp(-0.03125) vs exp(-0.28125).
  const q = encodeHeatmaps([[3.25, 2, 2]], { width: 8, height: 6, sigma: 1 }).heatmaps;
  assertAlmostEquals(at(q, 8, 1, 3, 2), Math.exp(-0.03125), 1e-6);
  assertAlmostEquals(at(q, 8, 1, 4, 2), Math.exp(-0.28125), 1e-6);
});

Deno.test("a joint on the border keeps its peak and is clipped outside the map", () => {
  const { heatmaps, weights } = encodeHeatmaps([[0, 5, 2]], { width: 8, height: 6, sigma: 1 });
  assertEquals(weights[0], 1);
  assertEquals(at(heatmaps, 8, 1, 0, 5), 1);
  assertAlmostEquals(at(heatmaps, 8, 1, 1, 4), Math.exp(-1), 1e-6);
  const total = heatmaps.reduce((a, b) => a + b, 0);
  // Only the quarter of the window inside the map is drawn.
  let expected = 0;
  for (let y = 2; y <= 5; y++) {
    for (let x = 0; x <= 3; x++) expected += Math.exp(-((x - 0) ** 2 + (y - 5) ** 2) / 2);
  }
  assertAlmostEquals(total, expected, 1e-5);
});

Deno.test("a missing or out-of-frame joint gets an all-zero map and weight 0", () => {
  const { heatmaps, weights } = encodeHeatmaps(
    [[3, 3, 0], [-0.6, 2, 2], [8.5, 2, 2], [Number.NaN, 1, 2], [2, 2, 1]],
    { width: 8, height: 6, sigma: 1 },
  );
  assertEquals(Array.from(weights), [0, 0, 0, 0, 1]);
  for (let j = 0; j < 4; j++) {
    for (let p = 0; p < 48; p++) assertEquals(heatmaps[p * 5 + j], 0);
  }
  // An occluded joint (v = 1) is still a target.
  assertEquals(at(heatmaps, 8, 5, 2, 2, 4), 1);
});

Deno.test("channels are interleaved last, [H, W, J]", () => {
  const { heatmaps } = encodeHeatmaps([[1, 0, 2], [0, 1, 2]], { width: 2, height: 2, sigma: 1 });
  // pixel (x=1,y=0): joint 0 peak, joint 1 at distance sqrt(2).
  assertEquals(heatmaps[(0 * 2 + 1) * 2 + 0], 1);
  assertAlmostEquals(heatmaps[(0 * 2 + 1) * 2 + 1]!, Math.exp(-1), 1e-6);
  assertEquals(heatmaps[(1 * 2 + 0) * 2 + 1], 1);
});

Deno.test("encoding into a batch buffer writes only that sample's region", () => {
  const spec = { width: 4, height: 4, sigma: 1 };
  const heatmaps = new Float32Array(2 * 16 * 1).fill(7);
  const weights = new Float32Array(2).fill(7);
  encodeHeatmaps([[1, 1, 2]], spec, { heatmaps, weights, offset: 16, weightOffset: 1 });
  assertEquals(heatmaps.slice(0, 16).every((v) => v === 7), true);
  assertEquals(weights[0], 7);
  assertEquals(weights[1], 1);
  assertEquals(heatmaps[16 + 1 * 4 + 1], 1);
});

Deno.test("drawGaussian refuses a centre half a pixel beyond the last pixel", () => {
  assertEquals(inFrame(-0.5, 0, 4, 4), true);
  assertEquals(inFrame(3.49, 3.49, 4, 4), true);
  assertEquals(inFrame(3.5, 0, 4, 4), false);
  assertEquals(
    drawGaussian(new Float32Array(16), { width: 4, height: 4, sigma: 1 }, 1, 0, 3.5, 1),
    false,
  );
});

Deno.test("map coordinates follow the pixel-centre convention and invert exactly", () => {
  assertEquals(toMapCoord(1.5, 4), 0);
  assertEquals(toMapCoord(0, 4), -0.375);
  assertEquals(toMapCoord(129.5, 4), 32);
  assertEquals(fromMapCoord(32, 4), 129.5);
  for (const x of [-3, 0, 17.25, 255]) {
    assertAlmostEquals(fromMapCoord(toMapCoord(x, 4), 4), x, 1e-12);
  }
  assertEquals(keypointsToMap([[129.5, 1.5, 1]], 4), [[32, 0, 1]]);
});

Deno.test("MSSH's amplitudes are -1 for occluded joints and +1 for visible and missing ones", () => {
  assertEquals(occlusionAmplitudes([[5, 5, 2], [6, 6, 1], [0, 0, 0]]), [1, -1, 1]);
});

Deno.test("an occluded joint with amplitude -1 peaks at -1 on its sub-pixel spot", () => {
  // Joint 0 visible at (3, 2), joint 1 occluded at (5.25, 3), joint 2 occluded but missing.
  const kps: Keypoint[] = [[3, 2, 2], [5.25, 3, 1], [1, 1, 0]];
  const spec = { width: 8, height: 6, sigma: 1 };
  const { heatmaps, weights } = encodeHeatmaps(kps, spec, undefined, occlusionAmplitudes(kps));
  // The occluded joint is still supervised (weight 1), towards a negative map.
  assertEquals(Array.from(weights), [1, 1, 0]);
  // Visible: +1 at its pixel centre, as without amplitudes.
  assertEquals(at(heatmaps, 8, 3, 3, 2, 0), 1);
  // Occluded at x = 5.25: pixel 5 is 0.25 px away, pixel 6 0.75 px, pixel 4 1.25 px.
  assertAlmostEquals(at(heatmaps, 8, 3, 5, 3, 1), -Math.exp(-0.03125), 1e-6);
  assertAlmostEquals(at(heatmaps, 8, 3, 6, 3, 1), -Math.exp(-0.28125), 1e-6);
  assertAlmostEquals(at(heatmaps, 8, 3, 4, 3, 1), -Math.exp(-0.78125), 1e-6);
  // Every value of the occluded channel is <= 0 and its most negative one is at (5, 3).
  const ch1 = Array.from({ length: 48 }, (_, p) => heatmaps[p * 3 + 1]!);
  assertEquals(ch1.every((v) => v <= 0), true);
  assertEquals(ch1.indexOf(Math.min(...ch1)), 3 * 8 + 5);
  // Missing: all zero.
  assertEquals(
    Array.from({ length: 48 }, (_, p) => heatmaps[p * 3 + 2]).every((v) => v === 0),
    true,
  );
});

Deno.test("an occluded joint on a pixel centre peaks at exactly -1", () => {
  const kps: Keypoint[] = [[2, 2, 1]];
  const { heatmaps } = encodeHeatmaps(kps, { width: 5, height: 5, sigma: 1 }, undefined, [-1]);
  assertEquals(at(heatmaps, 5, 1, 2, 2), -1);
  assertAlmostEquals(at(heatmaps, 5, 1, 3, 2), -Math.exp(-0.5), 1e-6);
});

Deno.test("all-positive amplitudes write the same bytes as no amplitudes", () => {
  const kps: Keypoint[] = [[3.3, 2.7, 2], [5.25, 3, 1], [1, 1, 0]];
  const spec = { width: 8, height: 6, sigma: 1.5 };
  const plain = encodeHeatmaps(kps, spec);
  const ones = encodeHeatmaps(kps, spec, undefined, [1, 1, 1]);
  assertEquals(ones.heatmaps, plain.heatmaps);
  assertEquals(ones.weights, plain.weights);
});

Deno.test("amplitudes must come one per keypoint", () => {
  assertThrows(
    () => encodeHeatmaps([[1, 1, 2]], { width: 4, height: 4, sigma: 1 }, undefined, [1, -1]),
    Error,
    "2 amplitudes for 1 keypoints",
  );
});
