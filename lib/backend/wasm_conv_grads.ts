/**
 * Convolution gradients for tfjs-backend-wasm, composed from its XNNPACK-backed kernels.
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter, and its Conv2DBackpropInput is a scalar
 * C++ loop. Here:
 *
 * - the filter gradient is one matrix product per kernel offset (kh, kw):
 *   `dW[kh, kw] [Cin, Cout] = X(kh, kw)ᵀ [Cin, N] · dy [N, Cout]` with N = B·Ho·Wo, where
 *   X(kh, kw) is the (padded) input shifted by the offset. The wasm BatchMatMul only reaches
 *   XNNPACK's GEMM without transposes and with batch 1, and XNNPACK repacks its right operand
 *   for every new one (slowly: a scalar transpose, then packing), so dy is the right operand,
 *   packed once for all offsets, and the input is transposed once to channels-first so that
 *   each shifted Xᵀ is a plain slice. Strides are split into phases (see phasePlanes), which
 *   makes every offset a stride-1 window, and windows are read as whole rows ("wide rows": Wq
 *   columns instead of Wo), so each is a few long contiguous copies; dy gets Wq - Wo zero
 *   columns so the extra columns add 0.
 * - the input gradient at stride 1 is a forward convolution (XNNPACK) of dy with the filter
 *   rotated by 180° and its channel axes swapped; at other strides it is "col2im": one GEMM
 *   gives what each tap sends back, and the taps' blocks are added onto the stride phases of
 *   the padded input (wasm_phases.ts).
 *
 * No model of the kit has a depthwise convolution, so their gradients are not provided: on
 * wasm, tfjs then names the missing kernel.
 *
 * Attribute combinations these do not cover throw an error that names them, never a wrong
 * result.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { convInfoNHWC, type Shape4 } from "./conv_info.ts";
import { compose, type KernelScope, type WasmBackendLike } from "./wasm_compose.ts";
import { foldPhases, phaseGrid, tapPhase } from "./wasm_phases.ts";
import { wasmThreadCount } from "./wasm_threads.ts";

/**
 * Why a composed kernel refused its attributes.
 *
 * @example
 * ```ts
 * throw new UnsupportedKernelAttrs("Conv2DBackpropFilter", 'dataFormat "NCHW"');
 * ```
 */
export class UnsupportedKernelAttrs extends Error {
  constructor(kernel: string, what: string) {
    super(`wasm ${kernel}: ${what} is not supported by the kit's wasm training kernels`);
    this.name = "UnsupportedKernelAttrs";
  }
}

function requireChannelsLast(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== "NHWC") {
    throw new UnsupportedKernelAttrs(kernel, `dataFormat "${dataFormat}" (only NHWC)`);
  }
}

function requireShape(kernel: string, name: string, actual: number[], expected: number[]): void {
  if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
    throw new Error(`wasm ${kernel}: ${name} has shape [${actual}], expected [${expected}]`);
  }
}

/**
 * `a [M, K] · b [K, N]` on XNNPACK's GEMM, which packs (and caches) `b` for every new `b`.
 * Single-threaded, BatchMatMul's fully-connected path packs `b` fastest; with threads a 1x1
 * convolution (M pixels, K input channels) runs the product on the thread pool.
 */
function gemm(s: KernelScope, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  if ((wasmThreadCount() ?? 1) === 1) {
    const out = s.run("BatchMatMul", { a: s.reshape(a, [1, m, k]), b: s.reshape(b, [1, k, n]) }, {
      transposeA: false,
      transposeB: false,
    });
    return s.reshape(out, [m, n]);
  }
  const out = s.run("Conv2D", {
    x: s.reshape(a, [1, 1, m, k]),
    filter: s.reshape(b, [1, 1, k, n]),
  }, { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] });
  return s.reshape(out, [m, n]);
}

/**
 * The input, channels-first, zero-padded and split into its stride phases:
 * `[sh, sw, C·B, Hq, Wq]`, where phase (p, q) holds padded rows p, p+sh, ... and columns
 * q, q+sw, .... Kernel tap (i, j), at padded offset (i·dh, j·dw), reads phase
 * (i·dh mod sh, j·dw mod sw) shifted by (⌊i·dh/sh⌋, ⌊j·dw/sw⌋) with stride 1, so every stride
 * becomes stride 1. Each phase plane has a spare zero row so that windows can be read as whole
 * rows (see the module notes). {@link tapWindow} slices them out.
 */
function phasePlanes(
  s: KernelScope,
  x: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): { rows: tf.TensorInfo; hq: number; wq: number } {
  const { batchSize: b, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } =
    info;
  const { strideHeight: sh, strideWidth: sw } = info;
  const reachH = Math.floor((info.filterHeight - 1) * info.dilationHeight / sh);
  const reachW = Math.floor((info.filterWidth - 1) * info.dilationWidth / sw);
  const { top, left } = info.padInfo;
  const hq = Math.max(ho + reachH + 1, Math.ceil((top + h) / sh));
  const wq = Math.max(wo + reachW, Math.ceil((left + w) / sw));
  const xT = s.run("Transpose", { x }, { perm: [3, 0, 1, 2] }); // [C, B, H, W]
  const bottom = hq * sh - top - h, right = wq * sw - left - w;
  const padded = top + bottom + left + right === 0 ? xT : s.run("PadV2", { x: xT }, {
    paddings: [[0, 0], [0, 0], [top, bottom], [left, right]],
    constantValue: 0,
  }); // [C, B, Hq·sh, Wq·sw]
  let phases = padded;
  if (sh !== 1 || sw !== 1) {
    const split = s.reshape(padded, [c * b, hq, sh, wq, sw]);
    phases = s.run("Transpose", { x: split }, { perm: [2, 4, 0, 1, 3] }); // [sh,sw,C·B,Hq,Wq]
  }
  return { rows: s.reshape(phases, [sh * sw * c * b, hq * wq]), hq, wq };
}

/** Tap (i, j)'s input window from {@link phasePlanes}: Ho whole phase rows, [C·B, Ho·Wq]. */
function tapWindow(
  s: KernelScope,
  planes: { rows: tf.TensorInfo; wq: number },
  info: tf.backend_util.Conv2DInfo,
  i: number,
  j: number,
): tf.TensorInfo {
  const { strideHeight: sh, strideWidth: sw } = info;
  const cb = info.inChannels * info.batchSize;
  const di = i * info.dilationHeight, dj = j * info.dilationWidth;
  const phase = (di % sh) * sw + (dj % sw);
  return s.run("Slice", { x: planes.rows }, {
    begin: [phase * cb, Math.floor(di / sh) * planes.wq + Math.floor(dj / sw)],
    size: [cb, info.outHeight * planes.wq],
  });
}

/** dy [B, Ho, Wo, Cout] with Wq - Wo zero columns, so windows' extra columns add 0. */
function widenDy(s: KernelScope, dy: tf.TensorInfo, wo: number, wq: number): tf.TensorInfo {
  return wq === wo ? dy : s.run("PadV2", { x: dy }, {
    paddings: [[0, 0], [0, 0], [0, wq - wo], [0, 0]],
    constantValue: 0,
  });
}

/** dW [kh, kw, Cin, Cout] of a (not depthwise) convolution; see the module notes. */
function convFilterGradient(
  s: KernelScope,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: b, inChannels: c, outChannels: co, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const filterShape: Shape4 = [kh, kw, c, co];

  const { top, left } = info.padInfo;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0) {
    // Pointwise: X itself is the window. [C, N] · [N, Cout]
    const n = b * ho * wo;
    const xT = s.run("Transpose", { x: s.reshape(x, [n, c]) }, { perm: [1, 0] });
    return s.reshape(gemm(s, xT, s.reshape(dy, [n, co])), filterShape);
  }

  const planes = phasePlanes(s, x, info);
  const n = b * ho * planes.wq;
  const dyMat = s.reshape(widenDy(s, dy, wo, planes.wq), [n, co]);
  const perOffset: tf.TensorInfo[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const window = tapWindow(s, planes, info, i, j); // [C·B, Ho·Wq] = [C, N]
      perOffset.push(gemm(s, s.reshape(window, [c, n]), dyMat)); // [C, Cout]
    }
  }
  const stacked = perOffset.length === 1 ? perOffset[0]! : s.run("Concat", perOffset, { axis: 0 }); // [kh·kw·C, Cout]
  return s.reshape(stacked, filterShape);
}

/**
 * Paddings (before, after) of the transposed convolution at stride 1: dx has the input's size
 * and each dx pixel sees every dy pixel that any filter tap connected it to. Undefined when a
 * padding would be negative (forward padding wider than the dilated filter).
 */
function transposedPads(
  info: tf.backend_util.Conv2DInfo,
): [[number, number], [number, number]] | undefined {
  const effH = (info.filterHeight - 1) * info.dilationHeight;
  const effW = (info.filterWidth - 1) * info.dilationWidth;
  const top = effH - info.padInfo.top;
  const left = effW - info.padInfo.left;
  const bottom = info.inHeight - info.outHeight + effH - top;
  const right = info.inWidth - info.outWidth + effW - left;
  if (Math.min(top, left, bottom, right) < 0) return undefined;
  return [[top, bottom], [left, right]];
}

// ---------------------------------------------------------------------------------------------
// Kernel functions

/**
 * Conv2DBackpropFilter for wasm.
 *
 * @example
 * ```ts
 * tf.registerKernel({ kernelName: "Conv2DBackpropFilter", backendName: "wasm", kernelFunc: conv2DBackpropFilter });
 * ```
 */
export const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const name = "Conv2DBackpropFilter";
  requireChannelsLast(name, a.dataFormat);
  const info = convInfoNHWC(x.shape, a.filterShape, a);
  requireShape(name, "dy", dy.shape, info.outShape);
  return compose(backend as WasmBackendLike, (s) => convFilterGradient(s, x, dy, info));
};

/**
 * dx of a convolution at any stride, "col2im": `G [kh·kw·Cin, N] = W [kh·kw·Cin, Cout] · dyᵀ`
 * holds what each tap sends back from each output pixel; tap (i, j)'s block lands, shifted, on
 * stride phase (i mod sh, j mod sw) of the padded input; the phases are summed, interleaved and
 * cropped to the input.
 */
function convInputGradientCol2im(
  s: KernelScope,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { batchSize: b, inChannels: ci, outChannels: co } = info;
  const { outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw } = info;
  const grid = phaseGrid(info);
  const { hq, wq } = grid;
  const n = b * ho * wo;
  const dyT = s.run("Transpose", { x: s.reshape(dy, [n, co]) }, { perm: [1, 0] }); // [Cout, N]
  const g = gemm(s, s.reshape(filter, [kh * kw * ci, co]), dyT); // [kh·kw·Cin, N]
  const byPhase: tf.TensorInfo[][] = Array.from(
    { length: grid.strideHeight * grid.strideWidth },
    () => [],
  );
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const tap = i * kw + j;
      const block = s.run("Slice", { x: g }, { begin: [tap * ci, 0], size: [ci, n] });
      const { phase, di, dj } = tapPhase(grid, i, j);
      byPhase[phase]!.push(s.run("PadV2", {
        x: s.reshape(block, [ci * b, ho, wo]),
      }, {
        paddings: [[0, 0], [di, hq - ho - di], [dj, wq - wo - dj]],
        constantValue: 0,
      })); // [Cin·B, Hq, Wq]
    }
  }
  return foldPhases(s, byPhase, grid, "CBHW");
}

/**
 * Conv2DBackpropInput for wasm: at stride 1 an XNNPACK convolution of dy with the rotated
 * filter; at other strides (or paddings wider than the filter) col2im. NCHW goes to the
 * backend's own kernel (`fallback`).
 *
 * @example
 * ```ts
 * const native = tf.getKernel("Conv2DBackpropInput", "wasm");
 * tf.registerKernel({ kernelName: "Conv2DBackpropInput", backendName: "wasm", kernelFunc: makeConv2DBackpropInput(native?.kernelFunc) });
 * ```
 */
export function makeConv2DBackpropInput(fallback: tf.KernelFunc | undefined): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const name = "Conv2DBackpropInput";
    if (a.dataFormat === "NCHW" && fallback) return fallback(args);
    requireChannelsLast(name, a.dataFormat);
    const info = convInfoNHWC(a.inputShape, filter.shape, a);
    requireShape(name, "dy", dy.shape, info.outShape);
    const pads = info.strideHeight === 1 && info.strideWidth === 1
      ? transposedPads(info)
      : undefined;
    const { filterHeight: kh, filterWidth: kw } = info;
    return compose(backend as WasmBackendLike, (s) => {
      if (!pads) return convInputGradientCol2im(s, dy, filter, info);
      const rotated = kh === 1 && kw === 1 ? filter : s.run("Reverse", { x: filter }, {
        dims: [0, 1],
      });
      const swapped = s.run("Transpose", { x: rotated }, { perm: [0, 1, 3, 2] }); // [kh,kw,Co,C]
      return s.run("Conv2D", { x: dy, filter: swapped }, {
        strides: [1, 1],
        pad: [[0, 0], pads[0], pads[1], [0, 0]],
        dataFormat: "NHWC",
        dilations: [1, 1],
      });
    });
  };
}
