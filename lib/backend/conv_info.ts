/**
 * The one place the kit's kernels (wasm and native) ask tfjs for a channels-last convolution's
 * geometry, so the seven gradient and forward kernels cannot drift apart on its arguments.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** An NHWC tensor shape or an HWIO filter shape. */
export type Shape4 = [number, number, number, number];

/** The attributes every convolution kernel carries that decide its geometry. */
export type ConvGeometryAttrs = {
  readonly strides: number | [number, number];
  readonly pad: tf.Conv2DAttrs["pad"];
  readonly dimRoundingMode?: tf.Conv2DAttrs["dimRoundingMode"];
};

/**
 * `computeConv2DInfo` for a channels-last input `xShape` and filter `filterShape`, with
 * `dilations` (default 1).
 *
 * @example
 * ```ts
 * const info = convInfoNHWC([1, 8, 8, 3], [3, 3, 3, 4], { strides: 2, pad: "same" });
 * info.outShape; // [1, 4, 4, 4]
 * ```
 */
export function convInfoNHWC(
  xShape: readonly number[],
  filterShape: readonly number[],
  a: ConvGeometryAttrs,
  dilations: number | [number, number] = 1,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    a.strides,
    dilations,
    a.pad,
    a.dimRoundingMode,
    false, // no model of the kit has a depthwise convolution
    "channelsLast",
  );
}
