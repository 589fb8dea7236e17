/**
 * Conv2D and FusedConv2D on webgpu: 1x1 convolutions as one tiled MatMul, and small outputs
 * kept off tfjs's few-workgroup MatMul programs.
 *
 * A 1x1, stride-1, unpadded convolution on NHWC is exactly a matrix product:
 * `y[B·H·W, Cout] = x[B·H·W, Cin] · W[Cin, Cout]` (+ bias, + activation), and the reshapes are
 * free on webgpu (they share the buffer). tfjs-backend-webgpu 4.22 already runs such a layer as
 * a batched MatMul (`[B, H·W, Cin] x [1, Cin, Cout]`), but it picks the program by the number of
 * 32 x 32 output tiles: with 8 or fewer (an hourglass's 8x8, 4x4, 2x2 levels) it takes its
 * small-output or reduce program, or, for one batch and K >= 2000, a split-K program whose
 * atomic float adds stalled for minutes on llvmpipe. On llvmpipe the small-output program ran
 * 3-78x slower than the tiled one (MatMulPackedProgram) on the same layer (bench/RESULTS.md,
 * "WebGPU, part 3"). Here the batch is folded into the rows (one GEMM, fuller tiles) and the
 * tiled program is asked for. Other convolutions run tfjs's kernel, which for small outputs
 * (<= 8 tiles) builds the patches and multiplies them with the same few-workgroup MatMul
 * programs: there the kit asks for its one-dispatch implicit-GEMM program (Conv2DMMProgram) from
 * {@link IMPLICIT_GEMM_MIN_ROWS} output rows, and for the tiled MatMul below that. At the paper's
 * sizes on a GPU (>= 4x4 pixels x 16 images x 256 channels: >= 64 tiles) tfjs picks the tiled
 * and implicit-GEMM programs anyway.
 *
 * Checked against the cpu backend in tests/backend/webgpu_kernels_test.ts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { recordWebGpuKernelRun } from "./webgpu_kernels.ts";

/** tfjs's flag that picks the MatMul program, and its value for MatMulPackedProgram. */
const MATMUL_PROGRAM_FLAG = "WEBGPU_MATMUL_PROGRAM_TYPE";
const MATMUL_PACKED = 3;

/** The name {@link webGpuKernelRuns} counts a 1x1 convolution run as one MatMul under. */
export const CONV_AS_MATMUL = "Conv2D as MatMul";

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };

/** Conv2D's and FusedConv2D's attributes (FusedConv2D adds the activation). */
interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat?: "NHWC" | "NCHW";
  dilations?: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  activation?: string;
  leakyreluAlpha?: number;
}

/**
 * tfjs's flag for the number of 32 x 32 tiles below which its convolution takes the im2col path
 * (two dispatches: the patches, then a MatMul) instead of its implicit-GEMM program; 0 makes it
 * always take the implicit GEMM.
 */
const IM2COL_THRESHOLD_FLAG = "WEBGPU_THRESHOLD_TO_INCREASE_WORKGROUPS_FOR_MATMUL";

/**
 * Output rows (batch x pixels) from which the implicit-GEMM program beats im2col + tiled MatMul
 * on small layers: on llvmpipe (14:22 script, 3x3 32->32 and 64->64, batch 2) the implicit GEMM
 * took 1.22 ms against 2.07 at 8x8 px and 0.68 against 0.86 at 4x4 (32 rows), but 0.68 against
 * 0.53 at 2x2 and 0.94 against 0.61 at 1x1.
 */
const IMPLICIT_GEMM_MIN_ROWS = 32;

/** Runs `fn` with tfjs's flags set as given, restoring them after. */
function withFlags<T>(set: Record<string, number>, fn: () => T): T {
  const flags = tf.env();
  const before = Object.keys(set).map((k) => [k, flags.get(k)] as const);
  for (const [k, v] of Object.entries(set)) flags.set(k, v);
  try {
    return fn();
  } finally {
    for (const [k, v] of before) flags.set(k, v);
  }
}

/** Runs `fn` with tfjs's tiled MatMul program forced, restoring the flag after. */
function withTiledMatMul<T>(fn: () => T): T {
  return withFlags({ [MATMUL_PROGRAM_FLAG]: MATMUL_PACKED }, fn);
}

/** A webgpu kernel of tfjs's registry, called directly (inside another kernel). */
function kernel(name: string): (args: KernelArgs) => tf.TensorInfo {
  const config = tf.getKernel(name, "webgpu");
  if (!config) throw new Error(`tfjs-backend-webgpu has no ${name} kernel`);
  // Reshape and (fused) MatMul return one tensor.
  return config.kernelFunc as (args: KernelArgs) => tf.TensorInfo;
}

/**
 * Whether a convolution is a plain matrix product: 1x1, stride 1, no dilation, no padding.
 *
 * @example
 * ```ts
 * isPointwise(convInfo); // true for a 1x1 'same' convolution with stride 1
 * ```
 */
export function isPointwise(c: tf.backend_util.Conv2DInfo): boolean {
  const p = c.padInfo;
  return c.filterHeight === 1 && c.filterWidth === 1 && c.strideHeight === 1 &&
    c.strideWidth === 1 && c.dilationHeight === 1 && c.dilationWidth === 1 &&
    p.top === 0 && p.bottom === 0 && p.left === 0 && p.right === 0;
}

/** One product {@link pointwiseMatMul} runs: `a · b` (+ bias, + activation), reshaped. */
export interface PointwiseProduct {
  /** Read as the matrix `aShape`, transposed in the program when `transposeA`. */
  readonly a: tf.TensorInfo;
  readonly aShape: [number, number];
  readonly transposeA?: boolean;
  readonly b: tf.TensorInfo;
  readonly bShape: [number, number];
  readonly transposeB?: boolean;
  /** The result's shape (same element count as the product). */
  readonly outShape: readonly number[];
  /** Fused into the product (tfjs's _FusedMatMul) when given / not linear. */
  readonly bias?: tf.TensorInfo;
  readonly activation?: string;
  readonly leakyreluAlpha?: number;
}

/**
 * A matrix product of two tensors viewed as matrices, on tfjs's tiled MatMul program, with bias
 * and activation fused when asked, reshaped to `outShape`. The views share their tensors'
 * buffers; the product's own buffer becomes the result's. Counted as one {@link CONV_AS_MATMUL}
 * run. A 1x1 convolution (webgpu_conv2d.ts) and its input and filter gradients
 * (webgpu_conv_input.ts, webgpu_conv_filter.ts) are such products. The tiled program reads a
 * transposed operand with strided loads: fine for a short reduction's `a`, but a 1x1 input
 * gradient as dy · Wᵀ ran at 0.18-0.39x of the plain product on llvmpipe, so that caller
 * transposes W itself.
 *
 * @example
 * ```ts
 * // dW[Cin, Cout] = x[B·H·W, Cin]ᵀ · dy[B·H·W, Cout]
 * const dw = pointwiseMatMul(backend, {
 *   a: x, aShape: [rows, cin], transposeA: true, b: dy, bShape: [rows, cout], outShape: filterShape,
 * });
 * ```
 */
export function pointwiseMatMul(backend: unknown, p: PointwiseProduct): tf.TensorInfo {
  const reshape = kernel(tf.Reshape);
  const a = reshape({ inputs: { x: p.a }, backend, attrs: { shape: p.aShape } });
  const b = reshape({ inputs: { x: p.b }, backend, attrs: { shape: p.bShape } });
  const activation = p.activation ?? "linear";
  const fused = p.bias !== undefined || activation !== "linear";
  const transposes = { transposeA: p.transposeA ?? false, transposeB: p.transposeB ?? false };
  const product = withTiledMatMul(() =>
    fused
      ? kernel(tf._FusedMatMul)({
        inputs: { a, b, ...(p.bias ? { bias: p.bias } : {}) },
        backend,
        attrs: { ...transposes, activation, leakyreluAlpha: p.leakyreluAlpha ?? 0.2 },
      })
      : kernel(tf.BatchMatMul)({ inputs: { a, b }, backend, attrs: transposes })
  );
  const out = reshape({ inputs: { x: product }, backend, attrs: { shape: [...p.outShape] } });
  const { disposeData } = backend as { disposeData(id: tf.DataId): boolean };
  for (const t of [a, b, product]) disposeData.call(backend, t.dataId);
  recordWebGpuKernelRun(CONV_AS_MATMUL);
  return out;
}

/**
 * A filter [1, 1, Cin, Cout] as the matrix Wᵀ [Cout, Cin] in a buffer of its own (one small
 * Transpose dispatch). The caller disposes it.
 *
 * @example
 * ```ts
 * const wt = transposedPointwiseFilter(backend, filter, cin, cout); // [cout, cin]
 * ```
 */
export function transposedPointwiseFilter(
  backend: unknown,
  filter: tf.TensorInfo,
  inChannels: number,
  outChannels: number,
): tf.TensorInfo {
  const w = kernel(tf.Reshape)({
    inputs: { x: filter },
    backend,
    attrs: { shape: [inChannels, outChannels] },
  });
  const wt = kernel(tf.Transpose)({ inputs: { x: w }, backend, attrs: { perm: [1, 0] } });
  (backend as { disposeData(id: tf.DataId): boolean }).disposeData(w.dataId);
  return wt;
}

/**
 * The kit's Conv2D / FusedConv2D on webgpu: a 1x1 stride-1 unpadded NHWC float32 convolution as
 * one (fused) MatMul `[B·H·W, Cin] x [Cin, Cout]` on tfjs's tiled program; other NHWC float32
 * convolutions through tfjs's kernel, on its implicit-GEMM program from 32 output rows and with
 * the tiled MatMul for its im2col GEMM below. Undefined
 * (tfjs's kernel as it is) for NCHW or other dtypes.
 *
 * @example
 * ```ts
 * const original = tf.getKernel("FusedConv2D", "webgpu")!.kernelFunc;
 * const y = webGpuConv2D(args, original) ?? original(args);
 * ```
 */
export function webGpuConv2D(
  args: KernelArgs,
  original: tf.KernelFunc,
): tf.TensorInfo | undefined {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<
    string,
    tf.TensorInfo | undefined
  >;
  const attrs = args.attrs as unknown as ConvAttrs;
  if (attrs.dataFormat === "NCHW" || x!.dtype !== "float32" || filter!.dtype !== "float32") {
    return undefined;
  }
  const info = tf.backend_util.computeConv2DInfo(
    x!.shape as [number, number, number, number],
    filter!.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  // PReLU weights may be shaped like the output; folding the batch would need them reshaped.
  if (!isPointwise(info) || preluActivationWeights) {
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const set: Record<string, number> = { [MATMUL_PROGRAM_FLAG]: MATMUL_PACKED };
    if (rows >= IMPLICIT_GEMM_MIN_ROWS) set[IM2COL_THRESHOLD_FLAG] = 0;
    return withFlags(set, () => original(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo);
  }
  const rows = info.batchSize * info.inHeight * info.inWidth;
  // x [B, H, W, Cin] -> [B·H·W, Cin]; filter [1, 1, Cin, Cout] -> [Cin, Cout] (same buffers).
  return pointwiseMatMul(args.backend, {
    a: x!,
    aShape: [rows, info.inChannels],
    b: filter!,
    bShape: [info.inChannels, info.outChannels],
    outShape: info.outShape,
    bias,
    activation: attrs.activation,
    leakyreluAlpha: attrs.leakyreluAlpha,
  });
}
