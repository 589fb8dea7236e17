/**
 * Stride phases, shared by the wasm gradient kernels that send values back from a strided
 * window operation to its input (the convolution's input gradient, col2im, and MaxPoolGrad).
 *
 * At stride (sh, sw), window tap (i, j) of output pixel (y, x) reads padded input pixel
 * (y·sh + i, x·sw + j). Split the padded input into its sh·sw phases, phase (p, q) holding rows
 * p, p + sh, ... and columns q, q + sw, ...: tap (i, j) then reads phase (i mod sh, j mod sw) at
 * (y + ⌊i/sh⌋, x + ⌊j/sw⌋), a plain stride-1 shift. So what every tap sends back is a padded
 * copy of the output grid; the copies are added per phase, and the phases interleaved back into
 * the padded input and cropped to it ({@link foldPhases}).
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { KernelScope } from "./wasm_compose.ts";

/** Where a strided window operation's taps land: the phase grid of its padded input. */
export interface PhaseGrid {
  readonly batch: number;
  readonly channels: number;
  /** The input's (unpadded) height and width. */
  readonly height: number;
  readonly width: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  /** Padding before the input's first row and column. */
  readonly top: number;
  readonly left: number;
  /** Rows and columns of one phase plane (the padded input is `Hq·sh x Wq·sw`). */
  readonly hq: number;
  readonly wq: number;
}

/**
 * The phase grid of a convolution or pool: each phase plane is large enough for every tap's
 * shifted output grid and for the padded input.
 *
 * @example
 * ```ts
 * const grid = phaseGrid(tf.backend_util.computePool2DInfo([1, 8, 8, 2], 3, 2, 1, "same"));
 * [grid.hq, grid.wq]; // [5, 5]
 * ```
 */
export function phaseGrid(info: tf.backend_util.Conv2DInfo): PhaseGrid {
  const { strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w } = info;
  const { top, left } = info.padInfo;
  return {
    batch: info.batchSize,
    channels: info.inChannels,
    height: h,
    width: w,
    strideHeight: sh,
    strideWidth: sw,
    top,
    left,
    hq: Math.max(
      info.outHeight + Math.floor((info.filterHeight - 1) / sh),
      Math.ceil((top + h) / sh),
    ),
    wq: Math.max(
      info.outWidth + Math.floor((info.filterWidth - 1) / sw),
      Math.ceil((left + w) / sw),
    ),
  };
}

/**
 * The phase plane index of tap (i, j) and its shift inside the plane.
 *
 * @example
 * ```ts
 * tapPhase(grid, 2, 1); // at stride 2: { phase: 1, di: 1, dj: 0 }
 * ```
 */
export function tapPhase(
  grid: PhaseGrid,
  i: number,
  j: number,
): { phase: number; di: number; dj: number } {
  const { strideHeight: sh, strideWidth: sw } = grid;
  return { phase: (i % sh) * sw + (j % sw), di: Math.floor(i / sh), dj: Math.floor(j / sw) };
}

/**
 * Adds the parts each phase received, interleaves the sh·sw phase planes into the padded input
 * and crops it to the input: `[B, H, W, C]`. Parts are laid out as `layout` says, each a whole
 * phase plane: `"CBHW"` `[C·B, Hq, Wq]` (channels first) or `"BHWC"` `[B, Hq, Wq, C]`. A phase
 * no tap reached is zero.
 *
 * @example
 * ```ts
 * const dx = foldPhases(s, byPhase, phaseGrid(info), "BHWC");
 * ```
 */
export function foldPhases(
  s: KernelScope,
  byPhase: readonly (readonly tf.TensorInfo[])[],
  grid: PhaseGrid,
  layout: "CBHW" | "BHWC",
): tf.TensorInfo {
  const { batch: b, channels: c, height: h, width: w, hq, wq } = grid;
  const { strideHeight: sh, strideWidth: sw, top, left } = grid;
  const plane = [1, b * c * hq * wq];
  const planes = byPhase.map((parts) => {
    if (parts.length === 0) return s.run("Fill", {}, { shape: plane, value: 0, dtype: "float32" });
    return s.reshape(parts.length === 1 ? parts[0]! : s.run("AddN", [...parts]), plane);
  });
  const stacked = planes.length === 1 ? planes[0]! : s.run("Concat", planes, { axis: 0 });
  const interleaved = layout === "CBHW"
    ? s.run("Transpose", { x: s.reshape(stacked, [sh, sw, c, b, hq, wq]) }, {
      perm: [3, 4, 0, 5, 1, 2],
    })
    : s.run("Transpose", { x: s.reshape(stacked, [sh, sw, b, hq, wq, c]) }, {
      perm: [2, 3, 0, 4, 1, 5],
    }); // [B, Hq, sh, Wq, sw, C]
  const cropped = s.run("Slice", {
    x: s.reshape(interleaved, [b, hq * sh, wq * sw * c]),
  }, { begin: [0, top, left * c], size: [b, h, w * c] });
  return s.reshape(cropped, [b, h, w, c]);
}
