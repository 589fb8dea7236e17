import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend, nearestSources } from "../../lib/backend/mod.ts";

Deno.test("nearest-neighbour sources follow the cpu forward pass", async () => {
  await initBackend("cpu", () => {});
  for (
    const [inSize, outSize, alignCorners, halfPixelCenters] of [
      [4, 8, false, false],
      [3, 7, false, false],
      [5, 3, false, false],
      [4, 7, true, false],
      [4, 7, false, true],
    ] as const
  ) {
    const x = tf.range(0, inSize).reshape([1, inSize, 1, 1]);
    const y = tf.image.resizeNearestNeighbor(
      x as tf.Tensor4D,
      [outSize, 1],
      alignCorners,
      halfPixelCenters,
    );
    assertEquals(
      Array.from(await y.data()),
      Array.from(nearestSources(inSize, outSize, alignCorners, halfPixelCenters)),
      `${inSize} -> ${outSize} alignCorners ${alignCorners} halfPixelCenters ${halfPixelCenters}`,
    );
    tf.dispose([x, y]);
  }
});

Deno.test("nearest-upsampling gradients on cpu sum each dy block, for every batch item", async () => {
  await initBackend("cpu", () => {});
  // dy[b, y, x, c] = its own flat index; x2 upsampling of a [2, 2, 3, 2] input.
  const [b, h, w, c] = [2, 2, 3, 2];
  const dy = tf.range(0, b * 2 * h * 2 * w * c).reshape([b, 2 * h, 2 * w, c]);
  const dx = tf.grad((x: tf.Tensor) =>
    tf.image.resizeNearestNeighbor(x as tf.Tensor4D, [2 * h, 2 * w]).mul(dy).sum()
  )(tf.zeros([b, h, w, c]));
  const expected: number[] = [];
  const at = (n: number, y: number, x: number, ch: number) =>
    ((n * 2 * h + y) * 2 * w + x) * c + ch;
  for (let n = 0; n < b; n++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          expected.push(
            at(n, 2 * y, 2 * x, ch) + at(n, 2 * y, 2 * x + 1, ch) +
              at(n, 2 * y + 1, 2 * x, ch) + at(n, 2 * y + 1, 2 * x + 1, ch),
          );
        }
      }
    }
  }
  assertEquals(Array.from(await dx.data()), expected);
  tf.dispose([dy, dx]);
});
