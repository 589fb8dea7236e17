/**
 * 2D affine transforms and the person-centred crop of the MPII convention, shared by
 * augmentation (image to crop) and decoding (crop back to image).
 *
 * A transform is `[a, b, tx, c, d, ty]`, mapping `(x, y)` to `(a x + b y + tx, c x + d y + ty)`.
 * Coordinates follow the kit's pixel-centre convention (pixel `i` centred at `i`).
 *
 * @module
 */

/** Row-major 2x3 affine matrix `[a, b, tx, c, d, ty]`. */
export type Affine = readonly [number, number, number, number, number, number];

/** The identity transform. */
export const IDENTITY: Affine = [1, 0, 0, 0, 1, 0];

/**
 * Applies a transform to a point.
 *
 * @example
 * ```ts
 * applyAffine([2, 0, 1, 0, 2, 0], 3, 4); // [7, 8]
 * ```
 */
export function applyAffine(m: Affine, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

/**
 * The transform that applies `first`, then `second`.
 *
 * @example
 * ```ts
 * compose([1, 0, 5, 0, 1, 0], [2, 0, 0, 0, 2, 0]); // shift by 5 then double: [2, 0, 10, 0, 2, 0]
 * ```
 */
export function compose(first: Affine, second: Affine): Affine {
  const [a, b, c, d, e, f] = second;
  const [p, q, r, s, t, u] = first;
  return [
    a * p + b * s,
    a * q + b * t,
    a * r + b * u + c,
    d * p + e * s,
    d * q + e * t,
    d * r + e * u + f,
  ];
}

/**
 * The inverse transform; throws when the matrix is singular (a zero scale).
 *
 * @example
 * ```ts
 * invert([2, 0, 1, 0, 2, 0]); // [0.5, 0, -0.5, 0, 0.5, 0]
 * ```
 */
export function invert(m: Affine): Affine {
  const [a, b, tx, c, d, ty] = m;
  const det = a * d - b * c;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) {
    throw new Error(`affine transform is singular: [${m.join(", ")}]`);
  }
  const ia = d / det, ib = -b / det, ic = -c / det, id = a / det;
  return [ia, ib, -(ia * tx + ib * ty), ic, id, -(ic * tx + id * ty)];
}

/** Where to crop a person: MPII center and scale (person height / 200 px) plus augmentation. */
export interface CropParams {
  /** Person centre in image pixels. */
  readonly center: readonly [number, number];
  /** MPII scale: the crop's side covers `200 * scale` image pixels. */
  readonly scale: number;
  /** Output crop size in pixels `[width, height]`, e.g. `[256, 256]`. */
  readonly size: readonly [number, number];
  /** In-plane rotation in degrees, counter-clockwise as seen in the image. */
  readonly rotation?: number;
  /** Mirror the crop horizontally (the caller swaps left/right joints). */
  readonly flip?: boolean;
}

/**
 * The transform from image pixels to crop pixels: the square of side `200 * scale` centred at
 * `center` fills the crop, rotated by `rotation` and mirrored when `flip`.
 *
 * @example
 * ```ts
 * const m = cropTransform({ center: [500, 300], scale: 2, size: [256, 256] });
 * applyAffine(m, 500, 300); // [127.5, 127.5]: the centre of the crop
 * applyAffine(m, 300, 100); // [-0.5, -0.5]: the box's corner is the crop's outer corner
 * ```
 */
export function cropTransform(p: CropParams): Affine {
  const [w, h] = p.size;
  const side = 200 * p.scale;
  if (!(side > 0) || !Number.isFinite(side)) {
    throw new Error(`crop scale must be > 0, got ${p.scale}`);
  }
  const k = w / side;
  const kY = h / side;
  const theta = ((p.rotation ?? 0) * Math.PI) / 180;
  // Image y points down, so a counter-clockwise rotation on screen is a negative angle in math.
  const cos = Math.cos(theta), sin = Math.sin(theta);
  const toOrigin: Affine = [1, 0, -p.center[0], 0, 1, -p.center[1]];
  const rotate: Affine = [cos, sin, 0, -sin, cos, 0];
  const scale: Affine = [k, 0, 0, 0, kY, 0];
  const flip: Affine = p.flip ? [-1, 0, 0, 0, 1, 0] : IDENTITY;
  const toCrop: Affine = [1, 0, (w - 1) / 2, 0, 1, (h - 1) / 2];
  return [toOrigin, rotate, scale, flip, toCrop].reduce((acc, m) => compose(acc, m), IDENTITY);
}
