/**
 * Colours and surface textures for SynthPose: solid fills, stripes, checks, blotchy noise and
 * gradients, evaluated per pixel by the rasteriser. Textures are in screen space; what matters
 * for pose learning is that parts have texture and edges, not that the texture follows the cloth.
 *
 * @module
 */

import type { Random } from "../../random/random.ts";

/** An RGB colour, 0-255 per channel. */
export type Rgb = readonly [number, number, number];

/** Texture kinds. */
export type PaintKind = "solid" | "stripes" | "checker" | "blotch" | "gradient";

/** A surface: a texture kind, two colours and the pattern's geometry in pixels. */
export interface Paint {
  readonly kind: PaintKind;
  readonly c1: Rgb;
  readonly c2: Rgb;
  /** Pattern period in pixels (stripes, checks, blotch grain; gradient length). */
  readonly period: number;
  /** Pattern direction. */
  readonly cos: number;
  readonly sin: number;
  /** Pattern origin in pixels. */
  readonly ox: number;
  readonly oy: number;
}

const NOISE_SIZE = 256;
let noiseTable: Float32Array | undefined;

/**
 * A fixed, smooth 256x256 noise tile in [0, 1) (box-blurred white noise), shared by all blotch
 * textures; built once from a constant seed so scenes are identical in every process.
 *
 * @example
 * ```ts
 * noiseTile().length; // 65536
 * ```
 */
export function noiseTile(): Float32Array {
  if (noiseTable) return noiseTable;
  const n = NOISE_SIZE;
  let a = new Float32Array(n * n);
  // A tiny LCG: the tile must not depend on any caller's random stream.
  let s = 12345;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296;
  }
  for (let pass = 0; pass < 3; pass++) {
    const b = new Float32Array(n * n);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        let sum = 0;
        for (let d = -2; d <= 2; d++) {
          sum += a[y * n + ((x + d + n) & (n - 1))]! + a[((y + d + n) & (n - 1)) * n + x]!;
        }
        b[y * n + x] = sum / 10;
      }
    }
    a = b;
  }
  // Stretch back to [0, 1): blurring pulls the values towards 0.5.
  let lo = Infinity, hi = -Infinity;
  for (const v of a) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
  for (let i = 0; i < a.length; i++) a[i] = Math.min(0.999, (a[i]! - lo) / (hi - lo));
  noiseTable = a;
  return a;
}

/**
 * The mix between `c1` (0) and `c2` (1) of a paint at pixel `(x, y)`.
 *
 * @example
 * ```ts
 * paintMix({ kind: "solid", ... }, 3, 4, noiseTile()); // 0
 * ```
 */
export function paintMix(p: Paint, x: number, y: number, noise: Float32Array): number {
  switch (p.kind) {
    case "solid":
      return 0;
    case "stripes": {
      const t = ((x - p.ox) * p.cos + (y - p.oy) * p.sin) / p.period;
      return t - Math.floor(t) < 0.5 ? 0 : 1;
    }
    case "checker": {
      const u = ((x - p.ox) * p.cos + (y - p.oy) * p.sin) / p.period;
      const v = (-(x - p.ox) * p.sin + (y - p.oy) * p.cos) / p.period;
      return (Math.floor(u) + Math.floor(v)) & 1;
    }
    case "blotch": {
      const g = p.period / 8;
      const ix = Math.floor((x - p.ox) / g) & (NOISE_SIZE - 1);
      const iy = Math.floor((y - p.oy) / g) & (NOISE_SIZE - 1);
      return noise[iy * NOISE_SIZE + ix]!;
    }
    case "gradient": {
      const t = ((x - p.ox) * p.cos + (y - p.oy) * p.sin) / p.period;
      return t < 0 ? 0 : t > 1 ? 1 : t;
    }
  }
}

/**
 * A colour from hue (0-360), saturation and value (0-1).
 *
 * @example
 * ```ts
 * hsv(0, 1, 1); // [255, 0, 0]
 * ```
 */
export function hsv(h: number, s: number, v: number): Rgb {
  const c = v * s;
  const hp = (((h % 360) + 360) % 360) / 60;
  const x = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] = hp < 1
    ? [c, x, 0]
    : hp < 2
    ? [x, c, 0]
    : hp < 3
    ? [0, c, x]
    : hp < 4
    ? [0, x, c]
    : hp < 5
    ? [x, 0, c]
    : [c, 0, x];
  const m = v - c;
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

/**
 * A random colour of any hue, saturation and brightness.
 *
 * @example
 * ```ts
 * randomColor(new Random(1)); // e.g. [112, 40, 201]
 * ```
 */
export function randomColor(rng: Random): Rgb {
  return hsv(rng.uniform(0, 360), rng.uniform(0, 0.9), rng.uniform(0.12, 0.95));
}

/**
 * A skin tone: hues from pale to dark brown, with the variety of real people.
 *
 * @example
 * ```ts
 * skinColor(rng); // e.g. [201, 160, 122]
 * ```
 */
export function skinColor(rng: Random): Rgb {
  return hsv(rng.uniform(12, 38), rng.uniform(0.25, 0.6), rng.uniform(0.3, 0.95));
}

/**
 * A hair colour: black, browns, blond, grey, occasionally dyed.
 *
 * @example
 * ```ts
 * hairColor(rng); // e.g. [40, 28, 15]
 * ```
 */
export function hairColor(rng: Random): Rgb {
  if (rng.chance(0.08)) return randomColor(rng);
  if (rng.chance(0.1)) return hsv(0, 0, rng.uniform(0.5, 0.85));
  return hsv(rng.uniform(20, 45), rng.uniform(0.3, 0.8), rng.uniform(0.06, 0.7));
}

/**
 * Scales a colour's brightness by a factor (the darker tone of the same garment).
 *
 * @example
 * ```ts
 * shade([200, 100, 50], 0.5); // [100, 50, 25]
 * ```
 */
export function shade(c: Rgb, k: number): Rgb {
  const f = (v: number) => Math.max(0, Math.min(255, Math.round(v * k)));
  return [f(c[0]), f(c[1]), f(c[2])];
}

/**
 * A random paint in the given colours: solid most often, else stripes, checks, blotches or a
 * gradient, with a pattern period around `scale` pixels.
 *
 * @example
 * ```ts
 * const p = randomPaint(rng, randomColor(rng), randomColor(rng), 12);
 * ```
 */
export function randomPaint(
  rng: Random,
  c1: Rgb,
  c2: Rgb,
  scale: number,
  weights: { solid?: number } = {},
): Paint {
  const solid = weights.solid ?? 0.4;
  const r = rng.next();
  const rest = (1 - solid) / 4;
  const kind: PaintKind = r < solid
    ? "solid"
    : r < solid + rest
    ? "stripes"
    : r < solid + 2 * rest
    ? "checker"
    : r < solid + 3 * rest
    ? "blotch"
    : "gradient";
  const angle = rng.uniform(0, Math.PI);
  return {
    kind,
    c1,
    c2,
    period: Math.max(2, scale * rng.uniform(0.4, 1.6) * (kind === "gradient" ? 6 : 1)),
    cos: Math.cos(angle),
    sin: Math.sin(angle),
    ox: rng.uniform(0, 100),
    oy: rng.uniform(0, 100),
  };
}

/**
 * A solid paint.
 *
 * @example
 * ```ts
 * solidPaint([255, 0, 0]).kind; // "solid"
 * ```
 */
export function solidPaint(c: Rgb): Paint {
  return { kind: "solid", c1: c, c2: c, period: 1, cos: 1, sin: 0, ox: 0, oy: 0 };
}
