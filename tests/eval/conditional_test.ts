import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import {
  conditionalEstimate,
  estimatePoses,
  fuseTrials,
  needsRetry,
  perturb,
} from "../../lib/eval/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";
import { blobImage, blobModel } from "./fakes.ts";

await useTestBackend();

Deno.test("a sample is retried when enough joints fall below their own τc", () => {
  const conf = Float64Array.of(0.9, 0.1, 0.8, 0.7, NaN, 0.9);
  assertEquals(needsRetry(conf, 2, 0.5), [true, false, true]);
  assertEquals(needsRetry(conf, 2, [0.5, 0.05]), [false, false, true]);
  assertEquals(needsRetry(conf, 2, 0.5, 2), [false, false, false]);
});

Deno.test("perturbations move the centre in box sides and multiply the scale", () => {
  const r = perturb({ image: blobImage(1, 1, 0, 0), center: [100, 50], scale: 0.5 }, {
    dx: 0.1,
    dy: -0.2,
    scale: 1.2,
  });
  assertEquals([r.center, r.scale], [[110, 30], 0.6]);
});

Deno.test("trials above τs are fused, weighted by confidence; below, the best trial stays", () => {
  const a = { coords: [0, 0, 10, 10], confidence: [0.9, 0.3] }; // score 0.6
  const b = { coords: [4, 0, 20, 10], confidence: [0.3, 0.9] }; // score 0.6
  const c = { coords: [99, 99, 99, 99], confidence: [0.1, 0.1] }; // score 0.1
  const f = fuseTrials([a, b, c], 0.5);
  assertEquals(f.used, 2);
  assertAlmostEquals(f.coords[0]!, (0.9 * 0 + 0.3 * 4) / 1.2, 1e-12);
  assertAlmostEquals(f.coords[2]!, (0.3 * 10 + 0.9 * 20) / 1.2, 1e-12);
  assertAlmostEquals(f.confidence[1]!, 0.6, 1e-12);
  const none = fuseTrials([c, a], 0.95);
  assertEquals([none.used, Array.from(none.coords)], [1, [0, 0, 10, 10]]);
});

Deno.test("a person whose box misses the blob is found by a perturbed box; others are untouched", async () => {
  // Box side 200 * 0.32 * 1.25 = 80 px. Person 0's box (centred at x 40) misses the blob at
  // x 100; the box shifted by 0.5 x 64 px reaches it. Person 1's box holds its blob.
  const requests = [
    { image: blobImage(140, 80, 100, 40), center: [40, 34] as const, scale: 0.32 },
    { image: blobImage(140, 80, 70, 40), center: [70, 34] as const, scale: 0.32 },
  ];
  const options = {
    size: 64,
    stride: 2,
    batchSize: 4,
    tauC: 0.2,
    tauS: 0.3,
    perturbations: [{ dx: 0.5, dy: 0, scale: 1 }, { dx: -0.5, dy: 0, scale: 1 }],
  };
  const plain = await estimatePoses(blobModel(2), requests, options);
  assert(plain.confidence[0]! < 0.2, `first pass confidence ${plain.confidence[0]}`);
  const est = await conditionalEstimate(blobModel(2), requests, options);
  assertEquals(est.retried, [true, false]);
  assertEquals(est.trialsFused, [1, 1]);
  assert(Math.hypot(est.coords[0]! - 100, est.coords[1]! - 40) < 2.5, `${est.coords.slice(0, 2)}`);
  assertEquals(Array.from(est.coords.slice(32)), Array.from(plain.coords.slice(32)));
  await assertNoLeaks(async () => {
    await conditionalEstimate(blobModel(2), requests, options);
  }, "conditionalEstimate");
});
