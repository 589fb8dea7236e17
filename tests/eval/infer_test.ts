import { assert, assertEquals, assertRejects } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { estimatePoses, imageTensor, predictBatched, type PredictFn } from "../../lib/eval/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";
import { blobImage, blobModel } from "./fakes.ts";

await useTestBackend();

Deno.test("predictions run in fixed-size batches, the last zero-padded, and only real crops return", async () => {
  const seen: number[] = [];
  const predict: PredictFn = (crops) => {
    seen.push(crops.shape[0]);
    return Promise.resolve(tf.tidy(() => tf.avgPool(crops, 2, 2, "valid")));
  };
  const crops = tf.tidy(() =>
    tf.range(0, 5).reshape([5, 1, 1, 1]).tile([1, 4, 4, 3])
  ) as tf.Tensor4D;
  const out = await predictBatched(predict, crops, 2);
  assertEquals(seen, [2, 2, 2]);
  assertEquals(out.shape, [5, 2, 2, 3]);
  const v = await out.data();
  assertEquals([v[0], v[12], v[48]], [0, 1, 4]);
  await assertNoLeaks(() => predictBatched(predict, crops, 2), "predictBatched");
  await assertNoLeaks(
    () => predictBatched(predict, crops, 3, { flip: true, flipIndex: [0, 1, 2] }),
    "predictBatched flip",
  );
  tf.dispose([crops, out]);
});

Deno.test("poses come back in image pixels, from RGB images and tensors, with and without flip", async () => {
  // Box side 200 * 0.32 * 1.25 = 80 image px over a 64 px crop; heatmap pixel = 2 crop px = 2.5 px.
  const options = { size: 64, stride: 2, batchSize: 2 };
  const blobs: [number, number][] = [[60, 30], [35, 52], [50, 44]];
  const images = blobs.map(([x, y]) => blobImage(96, 80, x, y));
  const t = imageTensor(images[2]!);
  const requests = [
    { image: images[0]!, center: [48, 40] as const, scale: 0.32 },
    { image: images[1]!, center: [48, 40] as const, scale: 0.32 },
    { image: t, center: [48, 40] as const, scale: 0.32 },
  ];
  for (const flip of [false, true]) {
    const est = await estimatePoses(blobModel(2), requests, { ...options, flip });
    assertEquals([est.batch, est.numJoints, est.coords.length], [3, 16, 96]);
    blobs.forEach(([x, y], i) => {
      for (let j = 0; j < 16; j++) {
        const k = (i * 16 + j) * 2;
        const err = Math.hypot(est.coords[k]! - x, est.coords[k + 1]! - y);
        assert(
          err < 2.5,
          `flip ${flip}, person ${i}: (${est.coords[k]}, ${est.coords[k + 1]}) vs (${x}, ${y})`,
        );
      }
      assert(est.confidence[i * 16]! > 0.5);
    });
  }
  await assertNoLeaks(async () => {
    await estimatePoses(blobModel(2), requests, { ...options, flip: true });
  }, "estimatePoses");
  t.dispose();
});

Deno.test("a predict function with the wrong output size is reported, and nothing leaks", async () => {
  const image = blobImage(32, 32, 16, 16);
  const requests = [{ image, center: [16, 16] as const, scale: 0.1 }];
  await assertNoLeaks(async () => {
    await assertRejects(
      () => estimatePoses(blobModel(4), requests, { size: 32, stride: 2 }),
      Error,
      "expected stride 2",
    );
  }, "estimatePoses failure");
});

Deno.test("signed estimates find negative blobs, flag those joints occluded, and leak nothing", async () => {
  // A "model" whose odd joints answer with the blob negated, as an MSSH model does for occluded
  // joints: signed decoding must still find them (from |h|) and flag them.
  const options = { size: 64, stride: 2, batchSize: 2, signed: true };
  const signs = Array.from({ length: 16 }, (_, j) => (j % 2 === 1 ? -1 : 1));
  const requests = [{ image: blobImage(96, 80, 60, 30), center: [48, 40] as const, scale: 0.32 }];
  const est = await estimatePoses(blobModel(2, signs), requests, options);
  assertEquals(Array.from(est.occluded!), signs.map((s) => (s < 0 ? 1 : 0)));
  for (let j = 0; j < 16; j++) {
    const err = Math.hypot(est.coords[2 * j]! - 60, est.coords[2 * j + 1]! - 30);
    assert(err < 2.5, `joint ${j}: (${est.coords[2 * j]}, ${est.coords[2 * j + 1]})`);
    assert(est.confidence[j]! > 0.5, `joint ${j}: confidence ${est.confidence[j]}`);
  }
  const plain = await estimatePoses(blobModel(2, signs), requests, { ...options, signed: false });
  assertEquals(plain.occluded, undefined);
  await assertNoLeaks(async () => {
    await estimatePoses(blobModel(2, signs), requests, { ...options, flip: true });
  }, "estimatePoses signed");
});
