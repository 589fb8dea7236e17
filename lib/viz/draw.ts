/**
 * Raster figures: skeletons drawn over images, heatmaps as colour images, tiles of several
 * images, PNG encoding. Used by notebooks and `deno task predict`, never on the training path.
 *
 * @module
 */

import { encodePng as encodeImagePng, Image } from "image-js";
import { EDGES, JOINT_SIDES, type Keypoint } from "../skeleton/mod.ts";
import { type Rgb, SIDE_COLORS, viridis } from "./colors.ts";

// The colours and heatmap images live in colors.ts, which the browser demo bundles without
// image-js; they are re-exported here for the kit's callers.
export { heatmapImage, type Rgb, SIDE_COLORS, viridis } from "./colors.ts";

function toImage(rgb: Rgb): Image {
  return new Image(rgb.width, rgb.height, { colorModel: "RGB", data: Uint8Array.from(rgb.data) });
}

/** Paints `rgb` at every pixel of `row` from x0 to x1 (inclusive, clipped to the image). */
function paintSpan(img: Rgb, row: number, x0: number, x1: number, rgb: readonly number[]): void {
  const from = Math.max(0, Math.ceil(x0)), to = Math.min(img.width - 1, Math.floor(x1));
  for (let x = from; x <= to; x++) img.data.set(rgb, (row * img.width + x) * 3);
}

/**
 * Paints a bone: every pixel within `r` of the segment a-b. Only the rows the segment spans and,
 * per row, the columns of the band around it are visited, so the cost is the bone's area, not
 * the image's.
 */
function paintCapsule(
  img: Rgb,
  a: readonly [number, number],
  b: readonly [number, number],
  r: number,
  rgb: readonly number[],
): void {
  const [ax, ay] = a, [bx, by] = b;
  const dx = bx - ax, dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const y0 = Math.max(0, Math.ceil(Math.min(ay, by) - r));
  const y1 = Math.min(img.height - 1, Math.floor(Math.max(ay, by) + r));
  for (let y = y0; y <= y1; y++) {
    let lo = Math.min(ax, bx) - r, hi = Math.max(ax, bx) + r;
    if (dy !== 0) {
      // The band |cross((x, y) - a, b - a)| <= r |b - a| is an x-interval on this row.
      const c = ax + ((y - ay) * dx) / dy, w = Math.abs((r * Math.sqrt(len2)) / dy);
      lo = Math.max(lo, c - w - 1);
      hi = Math.min(hi, c + w + 1);
    }
    let first = Infinity, last = -Infinity;
    for (let x = Math.max(0, Math.ceil(lo)); x <= Math.min(img.width - 1, hi); x++) {
      const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / len2));
      const ex = x - (ax + t * dx), ey = y - (ay + t * dy);
      if (ex * ex + ey * ey <= r * r) {
        first = Math.min(first, x);
        last = x;
      }
    }
    // A capsule is convex: its pixels on a row are one span.
    if (first <= last) paintSpan(img, y, first, last, rgb);
  }
}

/** Paints the pixels whose distance from (cx, cy) lies in [inner, outer]. */
function paintRing(
  img: Rgb,
  cx: number,
  cy: number,
  inner: number,
  outer: number,
  rgb: readonly number[],
): void {
  const y0 = Math.max(0, Math.ceil(cy - outer));
  const y1 = Math.min(img.height - 1, Math.floor(cy + outer));
  for (let y = y0; y <= y1; y++) {
    const h = (y - cy) * (y - cy);
    const half = Math.sqrt(Math.max(0, outer * outer - h));
    for (let x = Math.ceil(cx - half); x <= Math.floor(cx + half); x++) {
      const d2 = (x - cx) * (x - cx) + h;
      if (d2 >= inner * inner && x >= 0 && x < img.width) {
        img.data.set(rgb, (y * img.width + x) * 3);
      }
    }
  }
}

const WHITE = [255, 255, 255] as const;

/**
 * Draws a skeleton over a copy of an image: bones coloured by side, visible joints as filled
 * dots, occluded joints (v = 1) as rings, missing joints (v = 0) left out. The work is one copy
 * of the image plus the pixels drawn, so photo-sized images take milliseconds to draw.
 *
 * @example
 * ```ts
 * const overlay = drawSkeleton(sample.image, predicted, { thickness: 2 });
 * await Deno.writeFile("pred.png", encodePng(overlay));
 * ```
 */
export function drawSkeleton(
  image: Rgb,
  keypoints: readonly Keypoint[],
  options: { thickness?: number; radius?: number; colors?: typeof SIDE_COLORS } = {},
): Rgb {
  const thickness = options.thickness ??
    Math.max(1, Math.round(Math.min(image.width, image.height) / 128));
  const radius = options.radius ?? thickness + 1;
  const colors = options.colors ?? SIDE_COLORS;
  const out: Rgb = { width: image.width, height: image.height, data: Uint8Array.from(image.data) };
  const at = (k: Keypoint) => [Math.round(k[0]), Math.round(k[1])] as const;
  const usable = (k: Keypoint | undefined): k is Keypoint =>
    k !== undefined && k[2] !== 0 && Number.isFinite(k[0]) && Number.isFinite(k[1]);
  for (const e of EDGES) {
    const a = keypoints[e.from], b = keypoints[e.to];
    if (!usable(a) || !usable(b)) continue;
    // A line `thickness` pixels wide: within half of it (at least half a pixel) of the bone.
    paintCapsule(out, at(a), at(b), Math.max(0.5, thickness / 2), colors[e.side]);
  }
  keypoints.forEach((k, j) => {
    if (!usable(k)) return;
    const [x, y] = at(k);
    const color = colors[JOINT_SIDES[j] ?? "centre"];
    // A white outline one pixel wide around a filled dot (visible) or a coloured ring (occluded).
    paintRing(out, x, y, radius - 0.5, radius + 0.5, WHITE);
    if (k[2] === 2) paintRing(out, x, y, 0, radius - 0.5, color);
    else paintRing(out, x, y, radius - 1.5, radius - 0.5, color);
  });
  return out;
}

/**
 * Blends a heatmap (any size, resampled nearest) over an image: `alpha` of the colour map where
 * the heatmap is high, the image elsewhere.
 *
 * @example
 * ```ts
 * overlayHeatmap(crop, values, 64, 64, { channels: 16, channel: J.head_top });
 * ```
 */
export function overlayHeatmap(
  image: Rgb,
  values: ArrayLike<number>,
  width: number,
  height: number,
  options: { channels?: number; channel?: number; alpha?: number } = {},
): Rgb {
  const channels = options.channels ?? 1,
    channel = options.channel ?? 0,
    alpha = options.alpha ?? 0.7;
  let vmax = 1e-6;
  for (let p = 0; p < width * height; p++) vmax = Math.max(vmax, values[p * channels + channel]!);
  const out = Uint8Array.from(image.data);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const hx = Math.min(width - 1, Math.floor((x * width) / image.width));
      const hy = Math.min(height - 1, Math.floor((y * height) / image.height));
      const t = Math.max(0, values[(hy * width + hx) * channels + channel]! / vmax);
      const c = viridis(t);
      const a = alpha * t;
      const o = (y * image.width + x) * 3;
      for (let k = 0; k < 3; k++) out[o + k] = Math.round((1 - a) * out[o + k]! + a * c[k]!);
    }
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * Tiles images into a grid (row-major), padding with white; images may differ in size.
 *
 * @example
 * ```ts
 * tile([a, b, c, d], 2); // a 2x2 grid
 * ```
 */
export function tile(images: readonly Rgb[], columns: number, pad = 4): Rgb {
  if (images.length === 0) return { width: 1, height: 1, data: new Uint8Array([255, 255, 255]) };
  const cols = Math.max(1, Math.min(columns, images.length));
  const rows = Math.ceil(images.length / cols);
  const cellW = Math.max(...images.map((i) => i.width));
  const cellH = Math.max(...images.map((i) => i.height));
  const width = cols * cellW + (cols + 1) * pad;
  const height = rows * cellH + (rows + 1) * pad;
  const data = new Uint8Array(width * height * 3).fill(255);
  images.forEach((img, k) => {
    const ox = pad + (k % cols) * (cellW + pad);
    const oy = pad + Math.floor(k / cols) * (cellH + pad);
    for (let y = 0; y < img.height; y++) {
      data.set(
        img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3),
        ((oy + y) * width + ox) * 3,
      );
    }
  });
  return { width, height, data };
}

/**
 * Encodes an RGB image as PNG bytes.
 *
 * @example
 * ```ts
 * await Deno.writeFile("out.png", encodePng(image));
 * ```
 */
export function encodePng(image: Rgb): Uint8Array {
  return encodeImagePng(toImage(image));
}
