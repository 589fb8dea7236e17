/**
 * Conv2DBackpropInput on webgpu: a 1x1 convolution's as Wᵀ then one tiled MatMul, others through
 * tfjs-backend-webgpu's own implicit-GEMM program, small ones on tfjs's naive program.
 *
 * A 1x1, stride-1, unpadded convolution's input gradient is `dx[B·H·W, Cin] = dy[B·H·W, Cout] ·
 * W[Cin, Cout]ᵀ`. Above {@link POINTWISE_TILES} the kit transposes W (a small dispatch) and runs
 * the product on tfjs's tiled MatMul. tfjs's GEMM program half-fills its tiles when Cout is 32:
 * the 2x64 step's 64->32 1x1 input gradient at 16x16 px read 0.43x of MatMul in one run
 * (bench/RESULTS.md, "WebGPU, part 3").
 *
 * tfjs-backend-webgpu 4.22 ships a tiled implicit-GEMM input gradient
 * (Conv2DDerInputMMProgram) but leaves it off behind `WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE`
 * (default true, "TODO: experiment"), so every input gradient runs the naive program: one
 * invocation per input element looping over filter rows, columns and output channels. The kit
 * turns the GEMM program on for NHWC float32 with input channels a multiple of 4 (except small
 * gradients, see `fewTiles`), for this kernel only (the flag also steers
 * Conv2DTranspose), and checks it against the cpu backend (tests/backend/webgpu_kernels_test.ts).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { isPointwise, pointwiseMatMul, transposedPointwiseFilter } from "./webgpu_conv2d.ts";

/**
 * At most this many 32 x 32 tiles of dx: tfjs's own limit below which its MatMul stops tiling
 * (`thresholdToIncreaseWorkgroups`).
 */
const FEW_TILES = 8;

/**
 * An input gradient with a small dx (an hourglass's 8x8 and smaller levels at batch 2): the GEMM
 * program's tiles mostly sit empty there, and on llvmpipe tfjs's naive program (one invocation
 * per dx element) ran as fast or faster on every such layer of the 2x64 step: 1x1 ones 1.4-3.7x,
 * 3x3 ones 1.0-6x (bench/RESULTS.md, "WebGPU, part 3"). With so few tiles neither fills a GPU.
 */
function fewTiles(inputShape: readonly number[]): boolean {
  return dxTiles(inputShape) <= FEW_TILES;
}

/** 32 x 32 tiles of dx seen as the matrix [B·H·W, Cin]. */
function dxTiles(inputShape: readonly number[]): number {
  const [b, h, w, c] = inputShape as [number, number, number, number];
  return Math.ceil((b * h * w) / 32) * Math.ceil(c / 32);
}

/**
 * A 1x1 input gradient with at most this many tiles runs tfjs's naive program; above, Wᵀ is
 * built and dy · Wᵀ runs on the tiled MatMul (two dispatches). On llvmpipe (bench/RESULTS.md,
 * "WebGPU, part 4", the 2x64 step at batch 2) the naive program read 0.96-1.59x of MatMul on
 * every 1x1 layer up to 16x16 px x 64 channels (32 tiles), where the transpose + MatMul read
 * 0.22-0.77x; on the 64- and 128-tile layers it read 0.66-1.15x, the transpose + MatMul
 * 0.67-0.91x and tfjs's GEMM program 0.43x-0.78x. On a GPU at the paper's sizes every layer has
 * far more tiles than this.
 */
const POINTWISE_TILES = 32;

/** The tfjs flag that picks the naive program over the GEMM one. */
const NAIVE_FLAG = "WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE";

/**
 * Runs tfjs's Conv2DBackpropInput kernel with its GEMM program; undefined for NCHW or
 * non-float32 inputs (the caller then runs tfjs's kernel as it is).
 *
 * @example
 * ```ts
 * const original = tf.getKernel("Conv2DBackpropInput", "webgpu")!.kernelFunc;
 * const dx = webGpuConv2DBackpropInput(args, original) ?? original(args);
 * ```
 */
export function webGpuConv2DBackpropInput(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
  original: tf.KernelFunc,
): tf.TensorInfo | undefined {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (attrs.dataFormat === "NCHW" || dy.dtype !== "float32" || filter.dtype !== "float32") {
    return undefined;
  }
  // With fewer than 4 input channels (an RGB image) the GEMM's N is 3 and its tiles run nearly
  // empty: on llvmpipe the stem's input gradient took 59 s against 0.5 s for the naive program.
  // Training never needs that gradient (the image is no variable), so leave it to tfjs.
  if ((filter.shape[2] ?? 0) % 4 !== 0) return undefined;
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  if (isPointwise(info)) {
    // Few tiles: tfjs's naive program, one dispatch (see POINTWISE_TILES).
    if (dxTiles(attrs.inputShape) <= POINTWISE_TILES) return undefined;
    const rows = info.batchSize * info.inHeight * info.inWidth;
    const wt = transposedPointwiseFilter(args.backend, filter, info.inChannels, info.outChannels);
    // dx[B·H·W, Cin] = dy[B·H·W, Cout] · Wᵀ[Cout, Cin]
    const dx = pointwiseMatMul(args.backend, {
      a: dy,
      aShape: [rows, info.outChannels],
      b: wt,
      bShape: [info.outChannels, info.inChannels],
      outShape: info.inShape,
    });
    (args.backend as { disposeData(id: tf.DataId): boolean }).disposeData(wt.dataId);
    return dx;
  }
  if (fewTiles(attrs.inputShape)) return undefined;
  const flags = tf.env();
  const before = flags.getBool(NAIVE_FLAG);
  flags.set(NAIVE_FLAG, false);
  try {
    return original(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  } finally {
    flags.set(NAIVE_FLAG, before);
  }
}
