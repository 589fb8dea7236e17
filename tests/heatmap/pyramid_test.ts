import { assert, assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import {
  downsampleHeatmaps,
  encodeHeatmaps,
  encodePyramid,
  occlusionAmplitudes,
  poolHeatmaps,
  pyramidLevels,
} from "../../lib/heatmap/mod.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();
import type { Keypoint } from "../../lib/skeleton/mod.ts";

Deno.test("the pyramid has GT, GT/2, GT/4 and GT/8 at 64, 32, 16 and 8 pixels", () => {
  const levels = encodePyramid([[32, 16, 2]], { width: 64, height: 64, sigma: 1 });
  assertEquals(levels.map((l) => [l.factor, l.width, l.height]), [
    [1, 64, 64],
    [2, 32, 32],
    [4, 16, 16],
    [8, 8, 8],
  ]);
  assertEquals(levels.map((l) => l.weights[0]), [1, 1, 1, 1]);
});

Deno.test("each level puts the joint where that level's pixel grid says", () => {
  // At factor 2, x = 32 -> (32.5)/2 - 0.5 = 15.75: pixel 16 is nearer than 15.
  const [, half, quarter] = encodePyramid([[32, 16, 2]], { width: 64, height: 64, sigma: 1 });
  const v = (l: typeof half, x: number, y: number) => l!.heatmaps[y * l!.width + x]!;
  // y = 16 -> 7.75 at factor 2.
  assertAlmostEquals(v(half, 16, 8), Math.exp(-(0.25 ** 2 + 0.25 ** 2) / 2), 1e-6);
  assertAlmostEquals(v(half, 15, 8), Math.exp(-(0.75 ** 2 + 0.25 ** 2) / 2), 1e-6);
  // Factor 4: x -> 32.5/4 - 0.5 = 7.625, y -> 16.5/4 - 0.5 = 3.625.
  assertAlmostEquals(v(quarter, 8, 4), Math.exp(-(0.375 ** 2 + 0.375 ** 2) / 2), 1e-6);
});

Deno.test("a missing joint is missing at every level", () => {
  const levels = encodePyramid([[0, 0, 0]], { width: 16, height: 16, sigma: 1 });
  for (const l of levels) {
    assertEquals(l.weights[0], 0);
    assertEquals(l.heatmaps.every((x) => x === 0), true);
  }
});

Deno.test("pyramid factors must be positive integers", () => {
  assertThrows(() => encodePyramid([], { width: 8, height: 8, sigma: 1 }, [1.5]), Error, "1.5");
});

Deno.test("average pooling by 2 averages each 2x2 block", () => {
  const hm = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  assertEquals(Array.from(poolHeatmaps(hm, 4, 4, 1, 2)), [3.5, 5.5, 11.5, 13.5]);
});

Deno.test("the pyramid of an occluded joint is the negated pyramid of the visible one", () => {
  const spec = { width: 32, height: 32, sigma: 1 };
  const visible: Keypoint[] = [[13.4, 20.6, 2], [5, 6, 2]];
  const occluded: Keypoint[] = [[13.4, 20.6, 1], [5, 6, 2]];
  const pos = encodePyramid(visible, spec);
  const neg = encodePyramid(occluded, spec, undefined, occlusionAmplitudes(occluded));
  assertEquals(neg.length, 4);
  neg.forEach((level, i) => {
    const ref = pos[i]!;
    assertEquals(level.weights, ref.weights);
    for (let p = 0; p < level.width * level.height; p++) {
      // Channel 0 negated exactly, channel 1 (visible in both) unchanged.
      assertEquals(level.heatmaps[p * 2], -ref.heatmaps[p * 2]! || 0);
      assertEquals(level.heatmaps[p * 2 + 1], ref.heatmaps[p * 2 + 1]);
    }
    // Each level still reaches its own (negative) peak near -1.
    const ch0 = Array.from(
      { length: level.width * level.height },
      (_, p) => level.heatmaps[p * 2]!,
    );
    assertEquals(Math.min(...ch0) < -0.5, true);
  });
});

Deno.test("average pooling keeps a negative map's sign: pool(-h) = -pool(h)", () => {
  const hm = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const neg = hm.map((v) => -v);
  assertEquals(Array.from(poolHeatmaps(neg, 4, 4, 1, 2)), [-3.5, -5.5, -11.5, -13.5]);
});

Deno.test("the down-sampled GT/2 keeps the blob's image-space size, the redrawn one doubles it", async () => {
  // σ = 1 blob centred on pixel (10, 10) of a 32x32 map. Down-sampled by 2, output pixel (5, 5)
  // averages pixels (10..11, 10..11): (1 + 2 e^-0.5 + e^-1) / 4.
  const spec = { width: 32, height: 32, sigma: 1 };
  const full = encodeHeatmaps([[10, 10, 2]], spec).heatmaps;
  const t = tf.tensor4d(full, [1, 32, 32, 1]);
  const pooled = await downsampleHeatmaps(t, 2).data();
  assertAlmostEquals(pooled[5 * 16 + 5]!, (1 + 2 * Math.exp(-0.5) + Math.exp(-1)) / 4, 1e-6);
  // Same values as the CPU reference.
  const ref = poolHeatmaps(full, 32, 32, 1, 2);
  ref.forEach((v, i) => assertAlmostEquals(pooled[i]!, v, 1e-6));
  // Mass: pooling keeps the blob's area in image space (2π σ² / 4 in GT/2 pixels); redrawing
  // with σ = 1 in GT/2 pixels has 2π in those pixels: a blob 2x wider in image space.
  const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);
  assertAlmostEquals(sum(pooled), (2 * Math.PI) / 4, 1e-3);
  const [, redrawn] = encodePyramid([[10, 10, 2]], spec, [1, 2]);
  assertAlmostEquals(sum(redrawn!.heatmaps), 2 * Math.PI, 0.05);
  assertThrows(() => downsampleHeatmaps(tf.zeros([1, 6, 6, 1]), 4), Error, "not a divisor");
  t.dispose();
});

Deno.test("pyramidLevels gives the pooled levels for downsample and the redrawn ones for redraw", () => {
  const spec = { width: 16, height: 16, sigma: 1 };
  const kps: Keypoint[] = [[5, 6, 2]];
  const pooled = pyramidLevels(kps, spec, [1, 2], "downsample");
  const redrawn = pyramidLevels(kps, spec, [1, 2], "redraw");
  assertEquals(pooled.map((l) => [l.factor, l.width]), [[1, 16], [2, 8]]);
  assertEquals(
    Array.from(pooled[1]!.heatmaps),
    Array.from(poolHeatmaps(pooled[0]!.heatmaps, 16, 16, 1, 2)),
  );
  // Redrawn levels peak near 1; pooled ones lower (the same blob over 4x the area per pixel).
  assert(Math.max(...redrawn[1]!.heatmaps) > 0.9);
  assert(Math.max(...pooled[1]!.heatmaps) < 0.7);
});
