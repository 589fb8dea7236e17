/**
 * A small rasteriser for SynthPose: a canvas of 8-bit RGB pixels and the shapes scenes are made
 * of (tapered capsules for limbs, ellipses for heads and objects, polygons for torsos and
 * clutter). Each shape can also say whether it covers a point, which is how joint visibility is
 * decided without a second render.
 *
 * This is the one place where the data stage loops over pixels in JavaScript: scene rendering
 * runs in the pipeline's worker, off the training thread.
 *
 * @module
 */

import type { Random } from "../../random/random.ts";
import type { RgbImage } from "../types.ts";
import { noiseTile, type Paint, paintMix } from "./paint.ts";

/** An RGB canvas, `[H, W, 3]`, with values clamped to 0-255 on write. */
export class Canvas {
  readonly pixels: Uint8ClampedArray;
  readonly noise: Float32Array = noiseTile();

  /** A dry canvas draws nothing (annotation-only scenes). */
  constructor(readonly width: number, readonly height: number, readonly dry = false) {
    this.pixels = new Uint8ClampedArray(dry ? 0 : width * height * 3);
  }

  /** Writes pixel `(x, y)` with a paint, darkened or lightened by `k`. */
  put(x: number, y: number, paint: Paint, k: number): void {
    const m = paintMix(paint, x, y, this.noise);
    const i = (y * this.width + x) * 3;
    const a = paint.c1, b = paint.c2;
    this.pixels[i] = (a[0] + (b[0] - a[0]) * m) * k;
    this.pixels[i + 1] = (a[1] + (b[1] - a[1]) * m) * k;
    this.pixels[i + 2] = (a[2] + (b[2] - a[2]) * m) * k;
  }

  /** Paints the whole canvas. */
  fill(paint: Paint): void {
    if (this.dry) return;
    for (let y = 0; y < this.height; y++) {
      for (let x = 0; x < this.width; x++) this.put(x, y, paint, 1);
    }
  }

  /**
   * Applies a global illumination gradient (strength `lighting`, random direction) and Gaussian
   * pixel noise of standard deviation `noise` (0-255 scale), so that flat colours do not give
   * parts away and the scene looks like a photo rather than a drawing.
   */
  finish(rng: Random, lighting: number, noise: number): void {
    if (this.dry) return;
    const w = this.width, h = this.height, px = this.pixels;
    const angle = rng.uniform(0, 2 * Math.PI);
    const gx = (Math.cos(angle) * lighting) / w, gy = (Math.sin(angle) * lighting) / h;
    const table = gaussianTable();
    const mask = table.length - 1;
    for (let y = 0; y < h; y++) {
      let offset = rng.int(0, mask);
      const rowLight = 1 + gy * (y - h / 2);
      for (let x = 0; x < w; x++) {
        const k = rowLight + gx * (x - w / 2);
        const i = (y * w + x) * 3;
        for (let c = 0; c < 3; c++) {
          px[i + c] = px[i + c]! * k + noise * table[offset & mask]!;
          offset += 7;
        }
      }
    }
  }

  /** The canvas as an RgbImage sharing its buffer. */
  toImage(): RgbImage {
    return {
      width: this.width,
      height: this.height,
      data: new Uint8Array(this.pixels.buffer, this.pixels.byteOffset, this.pixels.length),
    };
  }
}

let gaussTable: Float32Array | undefined;

function gaussianTable(): Float32Array {
  if (gaussTable) return gaussTable;
  const n = 8192;
  const t = new Float32Array(n);
  let s = 987654321;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i++) {
    t[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  }
  gaussTable = t;
  return t;
}

/** A drawable region that can also test whether it covers a point. */
export interface Shape {
  /** Whether the shape covers image point `(x, y)`. */
  contains(x: number, y: number): boolean;
  draw(canvas: Canvas): void;
}

type Bounds = [x0: number, y0: number, x1: number, y1: number];

function clampBounds(c: Canvas, x0: number, y0: number, x1: number, y1: number): Bounds {
  return [
    Math.max(0, Math.floor(x0)),
    Math.max(0, Math.floor(y0)),
    Math.min(c.width - 1, Math.ceil(x1)),
    Math.min(c.height - 1, Math.ceil(y1)),
  ];
}

/**
 * A tapered capsule: every point within `ra + t (rb - ra)` of the segment point at parameter
 * `t`, i.e. a limb of radius `ra` at `a` narrowing (or widening) to `rb` at `b`. Shaded like a
 * cylinder: darker towards the silhouette.
 */
export class Capsule implements Shape {
  readonly #dx: number;
  readonly #dy: number;
  readonly #len2: number;

  constructor(
    readonly ax: number,
    readonly ay: number,
    readonly ra: number,
    readonly bx: number,
    readonly by: number,
    readonly rb: number,
    readonly paint: Paint,
    readonly shading = 0.45,
  ) {
    this.#dx = bx - ax;
    this.#dy = by - ay;
    this.#len2 = Math.max(1e-9, this.#dx * this.#dx + this.#dy * this.#dy);
  }

  /** Distance from the axis over the local radius: <= 1 inside. */
  #depth(x: number, y: number): number {
    const t0 = ((x - this.ax) * this.#dx + (y - this.ay) * this.#dy) / this.#len2;
    const t = t0 < 0 ? 0 : t0 > 1 ? 1 : t0;
    const ex = x - (this.ax + t * this.#dx), ey = y - (this.ay + t * this.#dy);
    const r = this.ra + t * (this.rb - this.ra);
    return Math.sqrt(ex * ex + ey * ey) / Math.max(r, 1e-6);
  }

  contains(x: number, y: number): boolean {
    return this.#depth(x, y) <= 1;
  }

  draw(c: Canvas): void {
    if (c.dry) return;
    const r = Math.max(this.ra, this.rb);
    const [x0, y0, x1, y1] = clampBounds(
      c,
      Math.min(this.ax, this.bx) - r,
      Math.min(this.ay, this.by) - r,
      Math.max(this.ax, this.bx) + r,
      Math.max(this.ay, this.by) + r,
    );
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const d = this.#depth(x, y);
        if (d <= 1) c.put(x, y, this.paint, 1 - this.shading * d * d);
      }
    }
  }
}

/**
 * A rotated ellipse with semi-axes `rx` (along `angle`) and `ry`. An optional second paint
 * covers the part beyond a line across the `rx` axis (hair on a head, a label on an object).
 */
export class Ellipse implements Shape {
  readonly #cos: number;
  readonly #sin: number;

  constructor(
    readonly cx: number,
    readonly cy: number,
    readonly rx: number,
    readonly ry: number,
    angle: number,
    readonly paint: Paint,
    readonly shading = 0.35,
    readonly cap?: { readonly paint: Paint; readonly from: number },
  ) {
    this.#cos = Math.cos(angle);
    this.#sin = Math.sin(angle);
  }

  #local(x: number, y: number): [u: number, q: number] {
    const dx = x - this.cx, dy = y - this.cy;
    const u = (dx * this.#cos + dy * this.#sin) / this.rx;
    const v = (-dx * this.#sin + dy * this.#cos) / this.ry;
    return [u, u * u + v * v];
  }

  contains(x: number, y: number): boolean {
    return this.#local(x, y)[1] <= 1;
  }

  draw(c: Canvas): void {
    if (c.dry) return;
    const r = Math.max(this.rx, this.ry);
    const [x0, y0, x1, y1] = clampBounds(c, this.cx - r, this.cy - r, this.cx + r, this.cy + r);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        const [u, q] = this.#local(x, y);
        if (q > 1) continue;
        const paint = this.cap && u >= this.cap.from ? this.cap.paint : this.paint;
        c.put(x, y, paint, 1 - this.shading * q);
      }
    }
  }
}

/** A polygon filled with the even-odd rule (convex or not), flat shaded with a soft gradient. */
export class Polygon implements Shape {
  readonly #xs: Float64Array;
  readonly #ys: Float64Array;

  constructor(points: readonly (readonly [number, number])[], readonly paint: Paint) {
    this.#xs = Float64Array.from(points, (p) => p[0]);
    this.#ys = Float64Array.from(points, (p) => p[1]);
  }

  /** x where each edge crosses the horizontal line `y`, sorted; spans [x0, x1) are inside. */
  #crossings(y: number): number[] {
    const xs = this.#xs, ys = this.#ys, n = xs.length;
    const out: number[] = [];
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const yi = ys[i]!, yj = ys[j]!;
      if ((yi > y) !== (yj > y)) out.push(xs[i]! + ((y - yi) / (yj - yi)) * (xs[j]! - xs[i]!));
    }
    return out.sort((a, b) => a - b);
  }

  contains(x: number, y: number): boolean {
    let inside = false;
    for (const cx of this.#crossings(y)) if (cx <= x) inside = !inside;
    return inside;
  }

  draw(c: Canvas): void {
    if (c.dry) return;
    let minY = Infinity, maxY = -Infinity;
    for (const y of this.#ys) (minY = Math.min(minY, y)), (maxY = Math.max(maxY, y));
    const y0 = Math.max(0, Math.ceil(minY)), y1 = Math.min(c.height - 1, Math.floor(maxY));
    for (let y = y0; y <= y1; y++) {
      const xs = this.#crossings(y);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const x0 = Math.max(0, Math.ceil(xs[k]!)),
          x1 = Math.min(c.width - 1, Math.ceil(xs[k + 1]!) - 1);
        for (let x = x0; x <= x1; x++) c.put(x, y, this.paint, 1);
      }
    }
  }
}
