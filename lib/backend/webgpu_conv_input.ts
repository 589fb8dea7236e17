/**
 * Conv2DBackpropInput on webgpu through tfjs-backend-webgpu's own implicit-GEMM program.
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
  const [b, h, w, c] = inputShape as [number, number, number, number];
  return Math.ceil((b * h * w) / 32) * Math.ceil(c / 32) <= FEW_TILES;
}

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
