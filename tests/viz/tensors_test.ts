import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertThrows } from "@std/assert";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { heatmapOf, readHeatmaps, tensorImages, viridis } from "../../lib/viz/mod.ts";

await useTestBackend();

Deno.test("a batch of [0, 1] images becomes clipped 8-bit RGB images", async () => {
  const t = tf.tensor4d([0, 0.5, 1, 1.5, -1, 0.25], [2, 1, 1, 3]);
  const imgs = await tensorImages(t);
  t.dispose();
  assertEquals(imgs.length, 2);
  assertEquals(Array.from(imgs[0]!.data), [0, 128, 255]);
  assertEquals(Array.from(imgs[1]!.data), [255, 0, 64]);
});

Deno.test("heatmaps are cut per sample and joint, or maxed over joints", async () => {
  // [B=2, H=1, W=2, J=2]: sample 1 has joint 0 = [0, 1], joint 1 = [0.5, 0].
  const t = tf.tensor4d([9, 9, 9, 9, 0, 0.5, 1, 0], [2, 1, 2, 2]);
  const maps = await readHeatmaps(t);
  t.dispose();
  const px = (img: { data: Uint8Array }, x: number) =>
    Array.from(img.data.subarray(3 * x, 3 * x + 3));
  const j0 = heatmapOf(maps, 1, 0);
  assertEquals([px(j0, 0), px(j0, 1)], [viridis(0), viridis(1)]);
  const max = heatmapOf(maps, 1, "max", { vmax: 1 });
  assertEquals([px(max, 0), px(max, 1)], [viridis(0.5), viridis(1)]);
  assertThrows(() => heatmapOf(maps, 2, 0), RangeError);
});
