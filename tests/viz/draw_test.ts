import { assert, assertEquals, assertNotEquals } from "@std/assert";
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

Deno.test("a thick bone covers the pixels within half its thickness and none farther", () => {
  const kps: Keypoint[] = Array.from({ length: NUM_JOINTS }, () => [0, 0, 0] as const);
  kps[J.l_hip] = [20, 10, 2];
  kps[J.l_knee] = [20, 90, 2];
  const out = drawSkeleton(blank(100, 100), kps, { thickness: 6, radius: 1 });
  const left = [...SIDE_COLORS.left];
  for (const x of [17, 20, 23]) assertEquals(px(out, x, 50), left, `x=${x}`);
  for (const x of [16, 24]) assertEquals(px(out, x, 50), [0, 0, 0], `x=${x}`);
  // Diagonal: the distance, not the row offset, decides.
  kps[J.l_knee] = [80, 70, 2];
  const diag = drawSkeleton(blank(100, 100), kps, { thickness: 4, radius: 1 });
  assertEquals(px(diag, 50, 40), left);
  assertEquals(px(diag, 50, 43), [0, 0, 0]); // 3 / sqrt(2) > 2 from the bone
});

Deno.test("a photo-sized image is drawn touching only the skeleton's pixels", () => {
  // 6000 x 4000 (24 MP): the image-js drawing this replaced copied the whole image once per
  // pixel of line thickness per bone and took minutes here.
  const w = 6000, h = 4000;
  const kps: Keypoint[] = Array.from(
    { length: NUM_JOINTS },
    (_, j) => [1000 + 250 * j, 500 + 180 * j, 2] as const,
  );
  const out = drawSkeleton(blank(w, h), kps);
  let changed = 0;
  for (let i = 0; i < out.data.length; i += 3) if (out.data[i + 1]! !== 0) changed++;
  // Bones about 47 px wide along ~4600 px, plus the dots: far below the image's 24M pixels.
  assert(changed > 100_000 && changed < 600_000, `${changed} pixels drawn`);
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
