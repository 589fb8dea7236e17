import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { applyAffine, cropTransform, warpBatch } from "../../lib/geometry/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

function dotImage(w: number, h: number, x: number, y: number): tf.Tensor4D {
  const data = new Float32Array(w * h);
  data[y * w + x] = 1;
  return tf.tensor4d(data, [1, h, w, 1]);
}

async function argmax2d(t: tf.Tensor4D): Promise<[number, number]> {
  const [, h, w] = t.shape;
  const values = await t.data();
  let best = 0;
  for (let i = 1; i < h * w; i++) if (values[i]! > values[best]!) best = i;
  return [best % w, Math.floor(best / w)];
}

Deno.test("a dot lands on the pixel the crop transform maps it to", async () => {
  const img = dotImage(200, 160, 115, 70);
  for (const p of [{ rotation: 0 }, { rotation: 30 }, { rotation: -25, flip: true }]) {
    const m = cropTransform({ center: [100, 80], scale: 0.25, size: [64, 64], ...p });
    const crop = warpBatch(img, [m], [64, 64], { interpolation: "nearest" });
    const [x, y] = applyAffine(m, 115, 70);
    const [fx, fy] = await argmax2d(crop);
    assertEquals(Math.abs(fx - x) <= 1 && Math.abs(fy - y) <= 1, true, `${[fx, fy]} vs ${[x, y]}`);
    crop.dispose();
  }
  img.dispose();
});

Deno.test("warping leaks no tensors", async () => {
  const img = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;
  const m = cropTransform({ center: [4, 4], scale: 0.04, size: [4, 4] });
  const n = await assertNoLeaks(() => warpBatch(img, [m, m], [4, 4]));
  assertEquals(n, 1);
  img.dispose();
});

Deno.test("every image of a batch is warped through its own transform", async () => {
  // tfjs-backend-cpu's Transform kernel stops after the first image; warpBatch must not.
  const images = tf.ones([3, 6, 6, 1]) as tf.Tensor4D;
  const m = cropTransform({ center: [2.5, 2.5], scale: 0.03, size: [6, 6] });
  const shifted = cropTransform({ center: [0.25, 2.5], scale: 0.03, size: [6, 6] });
  const crops = warpBatch(images, [m, m, shifted], [6, 6], { interpolation: "nearest" });
  // The shifted crop's columns 2..5 sample image x = -0.25 .. 2.75: 4 of its 6 columns.
  assertEquals(Array.from(await crops.sum([1, 2, 3]).data()), [36, 36, 24]);
  tf.dispose([images, crops]);
});
