import * as tf from "@tensorflow/tfjs";
import { assertEquals, assertThrows } from "@std/assert";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { heatmapCells, heatmapOf, readHeatmaps, tensorImages, viridis } from "../../lib/viz/mod.ts";

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
  assertThrows(() => heatmapOf(maps, 0, 2), RangeError);
});

Deno.test("a stretched heatmap maps its own minimum and maximum to the ends of the colour map", async () => {
  const t = tf.tensor4d([-3, -1, -2], [1, 1, 3, 1]);
  const maps = await readHeatmaps(t);
  t.dispose();
  const img = heatmapOf(maps, 0, 0, { stretch: true });
  const px = (x: number) => Array.from(img.data.subarray(3 * x, 3 * x + 3));
  assertEquals([px(0), px(1), px(2)], [viridis(0), viridis(1), viridis(0.5)]);
  // Without stretching an all-negative map is all at the colour map's low end.
  const flat = heatmapOf(maps, 0, 0);
  assertEquals(Array.from(flat.data.subarray(3, 6)), viridis(0));
});

Deno.test("heatmap rows become grid cells labelled by row and column", async () => {
  const a = tf.tensor4d([0, 1], [1, 1, 2, 1]);
  const b = tf.tensor4d([1], [1, 1, 1, 1]);
  const cells = await heatmapCells(
    [
      { label: "target", maps: [a, b], columns: ["GT", "GT/2"], vmax: 1 },
      { label: "stack 1", maps: [a] },
    ],
    0,
    0,
  );
  tf.dispose([a, b]);
  assertEquals(cells.map((c) => [c.row, c.column, c.image.width]), [
    ["target", "GT", 2],
    ["target", "GT/2", 1],
    ["stack 1", "map 1", 2],
  ]);
});
