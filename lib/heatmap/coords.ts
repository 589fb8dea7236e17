/**
 * Coordinate conventions shared by encoding and decoding.
 *
 * The kit puts pixel `i`'s centre at coordinate `i` at every resolution. A map downsampled by
 * `stride` then covers input pixels `[i * stride, (i + 1) * stride)` with its pixel `i`, whose
 * centre sits at input coordinate `(i + 0.5) * stride - 0.5`. Encoding and decoding both go
 * through these two functions, so a joint encoded and decoded comes back where it was.
 *
 * @module
 */

/**
 * Input-image coordinate to the coordinate on a map `stride` times smaller.
 *
 * @example
 * ```ts
 * toMapCoord(1.5, 4); // 0: input pixels 0..3 form map pixel 0, centred at input 1.5
 * toMapCoord(129.5, 4); // 32
 * ```
 */
export function toMapCoord(x: number, stride: number): number {
  return (x + 0.5) / stride - 0.5;
}

/**
 * Map coordinate back to the input image, the inverse of {@link toMapCoord}.
 *
 * @example
 * ```ts
 * fromMapCoord(32, 4); // 129.5
 * ```
 */
export function fromMapCoord(x: number, stride: number): number {
  return (x + 0.5) * stride - 0.5;
}
