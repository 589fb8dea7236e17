import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import {
  decodeHeatmaps,
  decodeHeatmapsTensor,
  encodeHeatmaps,
  mapToImage,
  occlusionAmplitudes,
  toMapCoord,
} from "../../lib/heatmap/mod.ts";
import { applyAffine, cropTransform } from "../../lib/geometry/mod.ts";
import type { Keypoint } from "../../lib/skeleton/mod.ts";
import { Random } from "../../lib/random/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

const spec = { width: 16, height: 12, sigma: 1 };

Deno.test("a joint encoded at a sub-pixel position decodes back within a quarter pixel", () => {
  for (let fx = 0; fx < 1; fx += 0.1) {
    for (let fy = 0; fy < 1; fy += 0.1) {
      const x = 6 + fx, y = 5 + fy;
      const { heatmaps } = encodeHeatmaps([[x, y, 2]], spec);
      const d = decodeHeatmaps(heatmaps, [1, 12, 16, 1]);
      assert(Math.abs(d.coords[0]! - x) <= 0.25 + 1e-9, `x ${x} decoded ${d.coords[0]}`);
      assert(Math.abs(d.coords[1]! - y) <= 0.25 + 1e-9, `y ${y} decoded ${d.coords[1]}`);
    }
  }
});

Deno.test("the quarter pixel goes towards the higher neighbour, none on a tie", () => {
  const decode = (x: number) =>
    decodeHeatmaps(encodeHeatmaps([[x, 5, 2]], spec).heatmaps, [1, 12, 16, 1]).coords[0];
  assertEquals(decode(6.3), 6.25);
  assertEquals(decode(6.7), 6.75);
  assertEquals(decode(6), 6);
  const off = decodeHeatmaps(encodeHeatmaps([[6.3, 5, 2]], spec).heatmaps, [1, 12, 16, 1], {
    subpixel: false,
  });
  assertEquals(Array.from(off.coords), [6, 5]);
});

Deno.test("confidence is the heatmap maximum and a peak on the border stays on its pixel", () => {
  const hm = new Float32Array(4 * 4);
  hm[0 * 4 + 3] = 0.8; // (x 3, y 0): on the border
  hm[0 * 4 + 2] = 0.5;
  const d = decodeHeatmaps(hm, [1, 4, 4, 1]);
  assertEquals(Array.from(d.coords), [3, 0]);
  assertAlmostEquals(d.confidence[0]!, 0.8, 1e-6);
});

Deno.test("a heatmap holding a NaN decodes to NaN, which the metrics count as a miss", async () => {
  const hm = new Float32Array(4 * 4 * 2).fill(0.1);
  hm[5 * 2 + 1] = NaN; // joint 1
  const d = decodeHeatmaps(hm, [1, 4, 4, 2]);
  assertEquals([Number.isNaN(d.coords[2]!), Number.isNaN(d.confidence[1]!)], [true, true]);
  assertEquals(Number.isNaN(d.coords[0]!), false);
  const t = tf.tensor4d(hm, [1, 4, 4, 2]);
  const dt = await decodeHeatmapsTensor(t);
  assertEquals(Number.isNaN(dt.coords[2]!), true);
  t.dispose();
});

Deno.test("the tensor decoder agrees with the array decoder", async () => {
  const rng = new Random(7);
  const [b, h, w, nj] = [3, 12, 16, 4];
  const data = new Float32Array(b * h * w * nj);
  for (let i = 0; i < b; i++) {
    const kps: Keypoint[] = Array.from(
      { length: nj },
      () => [rng.uniform(-0.4, w - 0.6), rng.uniform(-0.4, h - 0.6), 2] as const,
    );
    encodeHeatmaps(kps, { width: w, height: h, sigma: 1 }, {
      heatmaps: data,
      weights: new Float32Array(b * nj),
      offset: i * h * w * nj,
      weightOffset: i * nj,
    });
  }
  for (let k = 0; k < data.length; k++) data[k]! += rng.uniform(0, 0.01);
  const want = decodeHeatmaps(data, [b, h, w, nj]);
  const t = tf.tensor4d(data, [b, h, w, nj]);
  const got = await decodeHeatmapsTensor(t);
  assertEquals(Array.from(got.coords), Array.from(want.coords));
  got.confidence.forEach((c, k) => assertAlmostEquals(c, want.confidence[k]!, 1e-6));
  await assertNoLeaks(async () => {
    await decodeHeatmapsTensor(t);
  }, "decodeHeatmapsTensor");
  t.dispose();
});

Deno.test("an image point survives crop, map, encode, decode and the inverse crop", () => {
  const size = 64, stride = 4, scale = 0.8; // 160 image px over 64 crop px: 2.5 px per crop px
  for (const p of [{}, { rotation: 30 }, { rotation: -20, flip: true }]) {
    const m = cropTransform({ center: [300, 200], scale, size: [size, size], ...p });
    const point = [310.7, 183.2] as const;
    const [cx, cy] = applyAffine(m, ...point);
    const kp: Keypoint = [toMapCoord(cx, stride), toMapCoord(cy, stride), 2];
    const { heatmaps } = encodeHeatmaps([kp], { width: 16, height: 16, sigma: 1 });
    const decoded = mapToImage(decodeHeatmaps(heatmaps, [1, 16, 16, 1]), stride, [m]);
    // A quarter map pixel per axis = stride / 4 crop px = 2.5 image px, at most along a diagonal.
    const tol = 0.25 * stride * (200 * scale / size) * Math.SQRT2;
    const err = Math.hypot(decoded.coords[0]! - point[0], decoded.coords[1]! - point[1]);
    assert(err <= tol + 1e-9, `${JSON.stringify(p)}: error ${err} > ${tol}`);
  }
});

Deno.test("signed decoding finds a negative peak, flags it occluded, and reads +1 peaks as before", async () => {
  // Joint 0 visible at x = 6.3 (-> 6.25), joint 1 occluded at x = 9.7 (-> 9.75), both on row 5.
  const kps: Keypoint[] = [[6.3, 5, 2], [9.7, 5, 1]];
  const { heatmaps } = encodeHeatmaps(kps, spec, undefined, occlusionAmplitudes(kps));
  const shape = [1, 12, 16, 2] as const;
  const d = decodeHeatmaps(heatmaps, shape, { signed: true });
  assertEquals(Array.from(d.coords), [6.25, 5, 9.75, 5]);
  assertEquals(Array.from(d.occluded!), [0, 1]);
  // Confidence is |h| at the peak: pixel 6 is 0.3 px from 6.3, pixel 10 is 0.3 px from 9.7.
  assertAlmostEquals(d.confidence[0]!, Math.exp(-0.045), 1e-6);
  assertAlmostEquals(d.confidence[1]!, Math.exp(-0.045), 1e-6);
  // The positive joint decodes exactly as the unsigned decoder does, which has no `occluded`.
  const plain = decodeHeatmaps(heatmaps, shape);
  assertEquals(Array.from(plain.coords.slice(0, 2)), [6.25, 5]);
  assertEquals(plain.occluded, undefined);
  // Unsigned, the negative map's maximum is a zero far from the joint: the bug signed fixes.
  assertEquals(plain.confidence[1], 0);
  const t = tf.tensor4d(heatmaps, [...shape]);
  const dt = await decodeHeatmapsTensor(t, { signed: true });
  assertEquals(Array.from(dt.coords), Array.from(d.coords));
  assertEquals(Array.from(dt.occluded!), [0, 1]);
  dt.confidence.forEach((c, k) => assertAlmostEquals(c, d.confidence[k]!, 1e-6));
  assertEquals((await decodeHeatmapsTensor(t)).occluded, undefined);
  await assertNoLeaks(async () => {
    await decodeHeatmapsTensor(t, { signed: true });
  }, "decodeHeatmapsTensor signed");
  t.dispose();
});

Deno.test("signed decoding applies the quarter-pixel rule to |h| on a hand-made map", () => {
  // 1 x 3 x 4 map, one joint. Peak -0.9 at (x 1, y 1); |h| neighbours left 0.2, right 0.5, so
  // the shift goes right even though the signed right neighbour (-0.5) is the lower one.
  // deno-fmt-ignore
  const hm = new Float32Array([
    0.0, 0.0, 0.0, 0.0,
    0.2, -0.9, -0.5, 0.0,
    0.0, 0.1, 0.0, 0.0,
  ]);
  const d = decodeHeatmaps(hm, [1, 3, 4, 1], { signed: true });
  assertEquals(Array.from(d.coords), [1.25, 1.25]);
  assertAlmostEquals(d.confidence[0]!, 0.9, 1e-6);
  assertEquals(Array.from(d.occluded!), [1]);
});

Deno.test("signed decoding of a NaN map gives NaN and no occlusion flag", async () => {
  const hm = new Float32Array(4 * 4).fill(-0.1);
  hm[5] = NaN;
  const d = decodeHeatmaps(hm, [1, 4, 4, 1], { signed: true });
  assertEquals([Number.isNaN(d.coords[0]!), Number.isNaN(d.confidence[0]!)], [true, true]);
  assertEquals(d.occluded![0], 0);
  const t = tf.tensor4d(hm, [1, 4, 4, 1]);
  const dt = await decodeHeatmapsTensor(t, { signed: true });
  assertEquals([Number.isNaN(dt.coords[0]!), dt.occluded![0]], [true, 0]);
  t.dispose();
});
