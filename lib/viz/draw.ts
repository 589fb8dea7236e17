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

function fromImage(img: Image): Rgb {
  return { width: img.width, height: img.height, data: Uint8Array.from(img.getRawImage().data) };
}

/**
 * Draws a skeleton over a copy of an image: bones coloured by side, visible joints as filled
 * dots, occluded joints (v = 1) as rings, missing joints (v = 0) left out.
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
  let img = toImage(image);
  const round = (v: number) => Math.round(v);
  for (const e of EDGES) {
    const a = keypoints[e.from], b = keypoints[e.to];
    if (!a || !b || a[2] === 0 || b[2] === 0) continue;
    // image-js draws one-pixel lines: thicken by drawing offset copies within a disc.
    const r = (thickness - 1) / 2;
    for (let oy = -Math.ceil(r); oy <= Math.ceil(r); oy++) {
      for (let ox = -Math.ceil(r); ox <= Math.ceil(r); ox++) {
        if (ox * ox + oy * oy > r * r + 0.5) continue;
        img = img.drawLine(
          { column: round(a[0]) + ox, row: round(a[1]) + oy },
          { column: round(b[0]) + ox, row: round(b[1]) + oy },
          { strokeColor: [...colors[e.side]] },
        );
      }
    }
  }
  keypoints.forEach(([x, y, v], j) => {
    if (v === 0 || !Number.isFinite(x) || !Number.isFinite(y)) return;
    const color = [...colors[JOINT_SIDES[j] ?? "centre"]];
    img = img.drawCircle({ column: round(x), row: round(y) }, radius, {
      strokeColor: [255, 255, 255],
      ...(v === 2 ? { fillColor: color } : {}),
    });
    if (v === 1) {
      img = img.drawCircle({ column: round(x), row: round(y) }, radius - 1, { strokeColor: color });
    }
  });
  return fromImage(img);
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
