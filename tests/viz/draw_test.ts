import { assertEquals, assertNotEquals } from "@std/assert";
import { decodePng } from "image-js";
import { J, type Keypoint, NUM_JOINTS } from "../../lib/skeleton/mod.ts";
import {
  drawSkeleton,
  encodePng,
  heatmapImage,
  SIDE_COLORS,
  tile,
  viridis,
} from "../../lib/viz/mod.ts";

const blank = (w: number, h: number) => ({ width: w, height: h, data: new Uint8Array(w * h * 3) });
const px = (img: { width: number; data: Uint8Array }, x: number, y: number) =>
  Array.from(img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3));

Deno.test("a skeleton is drawn in side colours and missing joints are left out", () => {
  const kps: Keypoint[] = Array.from({ length: NUM_JOINTS }, () => [0, 0, 0] as const);
  kps[J.r_wrist] = [10, 30, 2];
  kps[J.r_elbow] = [30, 30, 2];
  const out = drawSkeleton(blank(64, 64), kps, { thickness: 1, radius: 2 });
  assertEquals(px(out, 20, 30), [...SIDE_COLORS.right]);
  assertEquals(px(out, 10, 30), [...SIDE_COLORS.right]); // filled joint dot
  assertEquals(px(out, 0, 0), [0, 0, 0]); // missing joints draw nothing
});

Deno.test("the input image is not modified", () => {
  const img = blank(8, 8);
  const kps: Keypoint[] = Array.from({ length: NUM_JOINTS }, () => [4, 4, 2] as const);
  drawSkeleton(img, kps);
  assertEquals(img.data.every((v) => v === 0), true);
});

Deno.test("heatmaps map to viridis from 0 to their max and zoom by repetition", () => {
  const img = heatmapImage(new Float32Array([0, 0.5, 1, 0.25]), 2, 2, { zoom: 2 });
  assertEquals([img.width, img.height], [4, 4]);
  assertEquals(px(img, 0, 0), viridis(0));
  assertEquals(px(img, 1, 1), viridis(0));
  assertEquals(px(img, 0, 2), viridis(1));
  assertNotEquals(viridis(0.5), viridis(0.6));
});

Deno.test("tiles place images in a grid and PNG round-trips the pixels", () => {
  const a = { width: 2, height: 1, data: new Uint8Array([255, 0, 0, 0, 255, 0]) };
  const grid = tile([a, a, a], 2, 1);
  assertEquals([grid.width, grid.height], [7, 5]);
  assertEquals(px(grid, 1, 1), [255, 0, 0]);
  assertEquals(px(grid, 4, 1), [255, 0, 0]); // second image, first row
  assertEquals(px(grid, 1, 3), [255, 0, 0]); // third image, second row
  assertEquals(px(grid, 4, 3), [255, 255, 255]); // empty cell
  const back = decodePng(encodePng(a));
  assertEquals(Array.from(back.getRawImage().data), Array.from(a.data));
});
