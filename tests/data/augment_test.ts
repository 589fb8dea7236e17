import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { NO_AUGMENT, sampleAugment, sampleTransform } from "../../lib/data/augment.ts";
import { dataConfig } from "../../lib/data/config.ts";
import { createPipeline } from "../../lib/data/pipeline.ts";
import { prepareSample } from "../../lib/data/prepare.ts";
import { PLAIN_CROP, type RgbImage } from "../../lib/data/types.ts";
import { warpBatch } from "../../lib/geometry/warp.ts";
import { fromMapCoord } from "../../lib/heatmap/coords.ts";
import { Random } from "../../lib/random/random.ts";
import { FLIP_INDEX, J } from "../../lib/skeleton/mpii.ts";
import type { Keypoint } from "../../lib/skeleton/remap.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { ArrayDataset, gridKeypoints, noiseImage, sampleOf } from "./fixtures.ts";

await useTestBackend();

/** Index of the largest value of channel-summed pixels of image `i` in `[B, H, W, C]`. */
async function argmax(t: tf.Tensor4D, i: number, channel?: number): Promise<[number, number]> {
  const [, h, w, c] = t.shape;
  const v = await t.data();
  let best = -Infinity, at = 0;
  for (let p = 0; p < h * w; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) {
      if (channel === undefined || k === channel) s += v[(i * h * w + p) * c + k]!;
    }
    if (s > best) (best = s), (at = p);
  }
  return [at % w, Math.floor(at / w)];
}

function dotImage(size: number, x: number, y: number, half = 0): RgbImage {
  const data = new Uint8Array(size * size * 3);
  for (let yy = y - half; yy <= y + half; yy++) {
    for (let xx = x - half; xx <= x + half; xx++) {
      data.fill(255, (yy * size + xx) * 3, (yy * size + xx) * 3 + 3);
    }
  }
  return { width: size, height: size, data };
}

const augmenting = {
  inputSize: 64,
  augment: { rotation: 30, rotationProb: 1, flipProb: 0.5, colorJitter: 0.2 },
};

Deno.test("a dot drawn at a joint and augmented is found again within 1 px of the transformed joint", async () => {
  const kps: Keypoint[] = gridKeypoints(96, 20);
  kps[J.l_wrist] = [50, 40, 2];
  const ds = new ArrayDataset("dot", [sampleOf("dot", dotImage(96, 50, 40), kps, 80)]);
  const pipe = createPipeline(ds, dataConfig(augmenting), { mode: "train", batchSize: 1, seed: 3 });
  const batch = await pipe.batchOf(new Array(8).fill(0));
  let flips = 0;
  for (let i = 0; i < 8; i++) {
    const meta = batch.meta[i]!;
    flips += meta.flipped ? 1 : 0;
    // After a flip the dot is the person's other wrist.
    const channel = meta.flipped ? FLIP_INDEX[J.l_wrist]! : J.l_wrist;
    const [x, y] = meta.keypoints[channel]!;
    const [fx, fy] = await argmax(batch.images, i);
    assert(
      Math.abs(fx - x) <= 1 && Math.abs(fy - y) <= 1,
      `sample ${i}: dot at ${[fx, fy]}, joint at ${[x, y]}`,
    );
    // The target heatmap peaks on the same joint, within one map pixel.
    const [mx, my] = await argmax(batch.targets[0]!, i, channel);
    assert(Math.abs(fromMapCoord(mx, 4) - x) <= 2 && Math.abs(fromMapCoord(my, 4) - y) <= 2);
    assert(meta.rotation !== 0 && Math.abs(meta.rotation) <= 30);
  }
  assert(flips > 0 && flips < 8, `expected some flipped samples, got ${flips}`);
  tf.dispose([batch.images, ...batch.targets, batch.weights]);
});

Deno.test("a large image is average-pooled before a strong downscale and the joint stays put", async () => {
  const kps = gridKeypoints(256, 40);
  kps[J.head_top] = [130, 90, 2];
  const ds = new ArrayDataset("big", [sampleOf("big", dotImage(256, 130, 90, 4), kps, 200)]);
  const cfg = dataConfig({ inputSize: 32, outputStride: 4, pyramidFactors: [1, 2] });
  const prepared = prepareSample(await ds.get(0), cfg, {
    index: 0,
    seed: 1,
    train: false,
    crop: PLAIN_CROP,
  });
  assertEquals(prepared.pool, 6); // 200 image px over 32 crop px
  const batch = await createPipeline(ds, cfg, { mode: "eval", batchSize: 1 }).batchOf([0]);
  const [x, y] = batch.meta[0]!.keypoints[J.head_top]!;
  const [fx, fy] = await argmax(batch.images, 0);
  assert(Math.abs(fx - x) <= 1 && Math.abs(fy - y) <= 1, `${[fx, fy]} vs ${[x, y]}`);
  tf.dispose([batch.images, ...batch.targets, batch.weights]);
});

Deno.test("a flip mirrors the crop and swaps left and right joints and their targets", async () => {
  const kps = gridKeypoints(64, 12);
  const ds = new ArrayDataset("flip", [sampleOf("flip", noiseImage(64, 64), kps, 48)]);
  const base = {
    inputSize: 32,
    augment: { rotationProb: 0, scaleMin: 1, scaleMax: 1, colorJitter: 0 },
  };
  const plainPipe = createPipeline(
    ds,
    dataConfig({ ...base, augment: { ...base.augment, flipProb: 0 } }),
    { mode: "train", batchSize: 1 },
  );
  const flipPipe = createPipeline(
    ds,
    dataConfig({ ...base, augment: { ...base.augment, flipProb: 1 } }),
    { mode: "train", batchSize: 1 },
  );
  const plain = await plainPipe.batchOf([0]);
  const flipped = await flipPipe.batchOf([0]);
  assertEquals([plain.meta[0]!.flipped, flipped.meta[0]!.flipped], [false, true]);
  const mirrored = tf.reverse(plain.images, 2);
  assert((await tf.max(tf.abs(mirrored.sub(flipped.images))).data())[0]! < 1e-5);
  for (const [a, b] of [[J.l_wrist, J.r_wrist], [J.r_ankle, J.l_ankle], [J.head_top, J.head_top]]) {
    const [xu, yu] = plain.meta[0]!.keypoints[b!]!;
    const [xf, yf] = flipped.meta[0]!.keypoints[a!]!;
    assertAlmostEquals(xf, 31 - xu, 1e-9);
    assertAlmostEquals(yf, yu, 1e-9);
  }
  // Target channel l_wrist of the flipped crop is the mirrored r_wrist channel of the plain one.
  const channel = (t: tf.Tensor4D, j: number) => t.slice([0, 0, 0, j], [1, -1, -1, 1]);
  const diff = tf.abs(
    channel(flipped.targets[0]!, J.l_wrist).sub(
      tf.reverse(channel(plain.targets[0]!, J.r_wrist), 2),
    ),
  );
  assert((await tf.max(diff).data())[0]! < 1e-5);
  tf.dispose([
    plain.images,
    ...plain.targets,
    plain.weights,
    flipped.images,
    ...flipped.targets,
    flipped.weights,
    mirrored,
    diff,
  ]);
});

Deno.test("evaluation crops are plain and deterministic", async () => {
  const kps = gridKeypoints(64, 12);
  const ds = new ArrayDataset("eval", [sampleOf("eval", noiseImage(64, 64), kps, 48)]);
  const cfg = dataConfig(augmenting);
  const a = await createPipeline(ds, cfg, { mode: "eval", batchSize: 1, seed: 1 }).batchOf([0]);
  const b = await createPipeline(ds, cfg, { mode: "eval", batchSize: 1, seed: 2 }).batchOf([0]);
  const m = a.meta[0]!;
  assertEquals([m.flipped, m.rotation, m.scaleFactor, m.patches.length], [false, 0, 1, 0]);
  assertEquals(m.transform, sampleTransform(m.center, m.scale, PLAIN_CROP, NO_AUGMENT, 64));
  assertEquals(await a.images.data(), await b.images.data());
  tf.dispose([a.images, ...a.targets, a.weights, b.images, ...b.targets, b.weights]);
});

Deno.test("a large photo is cut down before upload and gives the same crop", async () => {
  const image = noiseImage(400, 300, 5);
  const kps = gridKeypoints(300, 100);
  const sample = { ...sampleOf("photo", image, kps, 40), center: [210, 140] as [number, number] };
  const cfg = dataConfig({ inputSize: 32, augment: { colorJitter: 0 } });
  const prepared = prepareSample(sample, cfg, { index: 0, seed: 9, train: true, crop: PLAIN_CROP });
  assert(prepared.image.width < 120 && prepared.image.height < 120, "the photo was not cut down");
  const batch = await createPipeline(new ArrayDataset("p", [sample]), cfg, {
    mode: "train",
    batchSize: 1,
    seed: 9,
  })
    .batchOf([0]);
  const full = tf.tensor4d(image.data, [1, 300, 400, 3], "int32").cast("float32") as tf.Tensor4D;
  const direct = warpBatch(full, [batch.meta[0]!.transform], [32, 32]).div(255);
  const gap = tf.tidy(() => tf.max(tf.abs(direct.sub(batch.images))));
  const diff = (await gap.data())[0]!;
  // Float32 sampling positions differ in their last bits when the origin moves (wasm).
  assert(diff < 1e-4, `max difference ${diff}`);
  tf.dispose([batch.images, ...batch.targets, batch.weights, full, direct, gap]);
});

Deno.test("augmentation draws stay in their ranges and can be switched off", () => {
  const cfg = dataConfig().augment;
  const rng = new Random(11);
  const draws = Array.from({ length: 300 }, () => sampleAugment(rng, cfg));
  assert(draws.every((d) => Math.abs(d.rotation) <= 30 && d.scale >= 0.75 && d.scale <= 1.25));
  assert(draws.every((d) => d.gains.every((g) => g >= 0.8 && g <= 1.2)));
  const rotated = draws.filter((d) => d.rotation !== 0).length / draws.length;
  const flipped = draws.filter((d) => d.flip).length / draws.length;
  assert(rotated > 0.45 && rotated < 0.75, `rotation probability ${rotated}`);
  assert(flipped > 0.35 && flipped < 0.65, `flip probability ${flipped}`);
  const normal = { ...cfg, rotationDist: "normal" as const, rotationProb: 1 };
  assert(
    Array.from({ length: 300 }, () => sampleAugment(rng, normal)).every((d) =>
      Math.abs(d.rotation) <= 60
    ),
  );
  assertEquals(sampleAugment(rng, { ...cfg, enabled: false }), NO_AUGMENT);
  assert(
    Array.from({ length: 50 }, () => sampleAugment(rng, { ...cfg, flip: false })).every((d) =>
      !d.flip
    ),
  );
});
