/**
 * Colours and heatmap images without any image library: the body-side colours, viridis, and
 * one heatmap channel as an RGB image. Shared by the kit's figures and the browser demo.
 *
 * @module
 */

import type { Side } from "../skeleton/mod.ts";

/** An 8-bit RGB image, row-major `[H, W, 3]`. */
export interface Rgb {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** Colours of the body sides: the person's right, left, and the spine. */
export const SIDE_COLORS: { readonly [S in Side]: readonly [number, number, number] } = {
  right: [255, 127, 14],
  left: [31, 119, 180],
  centre: [44, 160, 44],
};

/** Viridis control points, interpolated linearly. */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
];

/**
 * Maps a value in [0, 1] to a viridis colour (clamped).
 *
 * @example
 * ```ts
 * viridis(0); // [68, 1, 84]
 * ```
 */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!, b = VIRIDIS[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!))) as [number, number, number];
}

/**
 * One heatmap channel as a colour image, scaled up by `zoom` (nearest) so small maps stay
 * readable. Values are mapped from [vmin, vmax] (default: 0 to the map's max, at least 1e-6).
 *
 * @example
 * ```ts
 * heatmapImage(values, 64, 64, { channels: 16, channel: J.l_wrist, zoom: 2 });
 * ```
 */
export function heatmapImage(
  values: ArrayLike<number>,
  width: number,
  height: number,
  options: { channels?: number; channel?: number; zoom?: number; vmin?: number; vmax?: number } =
    {},
): Rgb {
  const channels = options.channels ?? 1, channel = options.channel ?? 0, zoom = options.zoom ?? 1;
  let vmax = options.vmax ?? 0;
  if (options.vmax === undefined) {
    for (let p = 0; p < width * height; p++) vmax = Math.max(vmax, values[p * channels + channel]!);
  }
  const vmin = options.vmin ?? 0;
  const range = Math.max(1e-6, vmax - vmin);
  const w = width * zoom, h = height * zoom;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = values[(Math.floor(y / zoom) * width + Math.floor(x / zoom)) * channels + channel]!;
      data.set(viridis((v - vmin) / range), (y * w + x) * 3);
    }
  }
  return { width: w, height: h, data };
}
