/**
 * Faster wasm versions of kernels that training hits hard, replacing scalar C++ loops of
 * tfjs-backend-wasm 4.22 with XNNPACK-backed kernels (SIMD, and threaded when the backend has
 * threads). Each covers the shapes training produces and hands everything else to the backend's
 * own kernel, so results never change meaning, only speed (and float rounding order). Their
 * timings against the backend's kernels are in bench/RESULTS.md ("kernel micro-benchmarks").
 * MaxPoolGrad, replaced because the backend's is wrong, is in wasm_max_pool_grad.ts.
 *
 * Kept whole (~400 lines): every kernel here follows one pattern (a fast path on wasm heap
 * views, tfjs's kernel as the fallback), so they read best together.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { compose, type KernelScope, type WasmBackendLike } from "./wasm_compose.ts";

type Info = tf.TensorInfo;
type Fallback = tf.KernelFunc | undefined;

function size(shape: number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

function fallbackOr(fallback: Fallback, kernel: string, args: Parameters<tf.KernelFunc>[0]) {
  if (!fallback) throw new Error(`wasm ${kernel}: no backend kernel for these attributes`);
  return fallback(args);
}

function fill(s: KernelScope, shape: number[], value: number): Info {
  return s.run("Fill", {}, { shape, value, dtype: "float32" });
}

/**
 * Identity without a copy: the output shares the input's buffer, as tfjs-backend-cpu does
 * (tfjs tensors are immutable; the buffer is reference-counted).
 *
 * @example
 * ```ts
 * const native = tf.getKernel("Identity", "wasm");
 * tf.registerKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc: makeIdentity(native?.kernelFunc) });
 * ```
 */
export function makeIdentity(fallback: Fallback): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as Info;
    if (x.dtype === "string") return fallbackOr(fallback, "Identity", args);
    return compose(args.backend as WasmBackendLike, (s) => s.reshape(x, [...x.shape]));
  };
}

/**
 * Tile that only broadcasts (every repeated axis has size 1, as in BatchNorm's gradient):
 * an XNNPACK broadcasting multiply with ones. Other tilings go to the backend.
 *
 * @example
 * ```ts
 * const native = tf.getKernel("Tile", "wasm");
 * tf.registerKernel({ kernelName: "Tile", backendName: "wasm", kernelFunc: makeTile(native?.kernelFunc) });
 * ```
 */
export function makeTile(fallback: Fallback): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as Info;
    const { reps } = args.attrs as unknown as tf.TileAttrs;
    const broadcastOnly = reps.length === x.shape.length &&
      reps.every((r, i) => r === 1 || x.shape[i] === 1);
    if (x.dtype !== "float32" || !broadcastOnly || size(x.shape) === 0) {
      return fallbackOr(fallback, "Tile", args);
    }
    return compose(args.backend as WasmBackendLike, (s) => {
      const ones = fill(s, reps.map((r, i) => (x.shape[i] === 1 ? r : 1)), 1);
      return s.run("Multiply", { a: x, b: ones });
    });
  };
}

/** Normalised reduction axes, or undefined unless they are the leading axes 0..k-1. */
function leadingAxes(axis: number | number[], rank: number): number | undefined {
  const axes = [...new Set(tf.util.parseAxisParam(axis, new Array(rank).fill(1)))].sort((
    a,
    b,
  ) => a - b);
  if (axes.length === 0 || axes.some((a, i) => a !== i)) return undefined;
  return axes.length;
}

/** The most values one average pool adds in a row (see {@link reductionBlocks}). */
export const REDUCE_BLOCK = 16;

/**
 * How a reduction over `n` values is split into levels of blocks of at most
 * {@link REDUCE_BLOCK}: `n` is the product of the result, each level averaging that many
 * neighbours. The largest divisor up to the block size is taken at each level, so blocks are
 * powers of two whenever `n` is (their scale 1/block is then exact); a prime factor above the
 * block size is one level of its own.
 *
 * @example
 * ```ts
 * reductionBlocks(2048); // [16, 16, 8]
 * reductionBlocks(1536); // [16, 16, 6]
 * ```
 */
export function reductionBlocks(n: number): number[] {
  const blocks: number[] = [];
  while (n > REDUCE_BLOCK) {
    let d = REDUCE_BLOCK;
    while (d > 1 && n % d !== 0) d--;
    if (d === 1) break; // no divisor up to the block size: the rest in one level
    blocks.push(d);
    n /= d;
  }
  if (n > 1 || blocks.length === 0) blocks.push(n);
  return blocks;
}

/**
 * Sum/Mean over leading axes as XNNPACK average pools over a `[N, 1, 1, D]` view (Sum then
 * scales by N). The backend first transposes the reduced axes to the end with a scalar loop;
 * a matrix product would have XNNPACK repack the whole input as weights on every call.
 *
 * One average pool over all N rows adds them one after the other in float32, and its error
 * grows with N: training's reductions (BatchNorm's and the bias's gradients, sums of
 * gradients that nearly cancel over B·H·W pixels) came out 10-40x less exact than
 * tfjs-backend-cpu's (which adds in float64) and PyTorch's (which adds in blocks). So the rows
 * are averaged in levels of at most {@link REDUCE_BLOCK} neighbours ({@link reductionBlocks}),
 * a blocked sum whose error grows with the number of levels, not with N.
 */
function makeReduce(kind: "Sum" | "Mean", fallback: Fallback): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as Info;
    const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
    const k = leadingAxes(axis, x.shape.length);
    if (x.dtype !== "float32" || k === undefined || size(x.shape) === 0) {
      return fallbackOr(fallback, kind, args);
    }
    const n = size(x.shape.slice(0, k));
    const rest = x.shape.slice(k);
    const d = size(rest);
    const outShape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...rest] : rest;
    return compose(args.backend as WasmBackendLike, (s) => {
      let mean = x, rows = n;
      for (const block of reductionBlocks(n)) {
        rows /= block;
        mean = s.run("AvgPool", { x: s.reshape(mean, [rows, block, 1, d]) }, {
          filterSize: [block, 1],
          strides: [1, 1],
          pad: "valid",
        }); // [rows, 1, 1, D]: means of `block` neighbours
      }
      const out = kind === "Mean" ? mean : s.run("Multiply", { a: mean, b: fill(s, [1], n) });
      return s.reshape(out, outShape);
    });
  };
}

/**
 * Sum over leading axes on XNNPACK.
 *
 * @example
 * ```ts
 * const native = tf.getKernel("Sum", "wasm");
 * tf.registerKernel({ kernelName: "Sum", backendName: "wasm", kernelFunc: makeSum(native?.kernelFunc) });
 * ```
 */
export const makeSum = (fallback: Fallback) => makeReduce("Sum", fallback);
/**
 * Mean over leading axes on XNNPACK.
 *
 * @example
 * ```ts
 * const native = tf.getKernel("Mean", "wasm");
 * tf.registerKernel({ kernelName: "Mean", backendName: "wasm", kernelFunc: makeMean(native?.kernelFunc) });
 * ```
 */
export const makeMean = (fallback: Fallback) => makeReduce("Mean", fallback);

/**
 * Slice reading the input in place. The backend's Slice first copies the whole input out of
 * the wasm heap (`readSync`), so cutting a few rows out of a large tensor cost as much as
 * copying all of it; the convolution gradients slice every kernel tap out of one large tensor.
 *
 * @example
 * ```ts
 * const native = tf.getKernel("Slice", "wasm");
 * tf.registerKernel({ kernelName: "Slice", backendName: "wasm", kernelFunc: makeSlice(native?.kernelFunc) });
 * ```
 */
export function makeSlice(fallback: Fallback): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as Info;
    const { begin, size: sizes } = args.attrs as unknown as tf.SliceAttrs;
    const backend = args.backend as unknown as WasmHeapBackend;
    if (x.dtype === "string" || x.dtype === "complex64" || x.shape.length === 0) {
      return fallbackOr(fallback, "Slice", args);
    }
    const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, sizes) as [
      number[],
      number[],
    ];
    const out = backend.makeOutput(extent, x.dtype);
    if (size(extent) === 0) return out;
    // Views made after makeOutput: allocating may grow (and so replace) the heap.
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    copyBox(src, x.shape, start, extent, dst);
    return out;
  };
}

/**
 * A transpose's smallest equivalent: size-1 axes dropped and input axes that stay next to each
 * other merged. `perm` is then the permutation of the merged axes of `shape`; an identity `perm`
 * means the transpose is a reshape.
 *
 * @example
 * ```ts
 * mergeTransposeAxes([4, 64, 64, 32], [3, 0, 1, 2]); // { shape: [16384, 32], perm: [1, 0] }
 * ```
 */
export function mergeTransposeAxes(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const kept = perm.filter((a) => shape[a] !== 1);
  const inputOrder = [...kept].sort((a, b) => a - b);
  const next = new Map(inputOrder.map((a, i) => [a, inputOrder[i + 1]]));
  const groups: number[][] = [];
  for (const a of kept) {
    const last = groups[groups.length - 1];
    if (last && next.get(last[last.length - 1]!) === a) last.push(a);
    else groups.push([a]);
  }
  const byInput = [...groups].sort((g, h) => g[0]! - h[0]!);
  return {
    shape: byInput.map((g) => size(g.map((a) => shape[a]!))),
    perm: groups.map((g) => byInput.indexOf(g)),
  };
}

/**
 * Transpose on the fewest axes (see {@link mergeTransposeAxes}). The backend's kernel slows down
 * sharply with rank (bench/RESULTS.md), so a transpose is run on its merged axes, and one that
 * only moves size-1 axes becomes a reshape.
 *
 * @example
 * ```ts
 * const native = tf.getKernel("Transpose", "wasm");
 * tf.registerKernel({ kernelName: "Transpose", backendName: "wasm", kernelFunc: makeTranspose(native?.kernelFunc) });
 * ```
 */
export function makeTranspose(fallback: Fallback): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as Info;
    const { perm } = args.attrs as unknown as tf.TransposeAttrs;
    if (!fallback) throw new Error("wasm Transpose: the backend has no Transpose kernel");
    const merged = mergeTransposeAxes(x.shape, perm);
    const outShape = perm.map((a) => x.shape[a]!);
    if (merged.perm.length === perm.length && merged.perm.every((a, i) => a === perm[i])) {
      return fallback(args); // nothing to merge
    }
    return compose(args.backend as WasmBackendLike, (s) => {
      if (merged.perm.every((a, i) => a === i)) return s.reshape(x, outShape);
      const out = fallback({
        ...args,
        inputs: { x: s.reshape(x, merged.shape) },
        attrs: { perm: merged.perm },
      }) as Info;
      return s.reshape(s.adopt(out), outShape);
    });
  };
}

/**
 * SplitV with each piece read in place. The backend's SplitV calls its own Slice once per piece,
 * and that copies the whole input out of the wasm heap every time: splitting a flat vector of
 * all a network's parameters into its ~400 tensors copied the vector 400 times.
 *
 * @example
 * ```ts
 * const native = tf.getKernel("SplitV", "wasm");
 * tf.registerKernel({ kernelName: "SplitV", backendName: "wasm", kernelFunc: makeSplitV(native?.kernelFunc) });
 * ```
 */
export function makeSplitV(fallback: Fallback): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as Info;
    const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
    if (x.dtype === "string" || x.dtype === "complex64" || x.shape.length === 0) {
      return fallbackOr(fallback, "SplitV", args);
    }
    const backend = args.backend as unknown as WasmHeapBackend;
    const a = tf.util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a);
    const begin = x.shape.map(() => 0);
    const outs = sizes.map((piece) => {
      const extent = [...x.shape];
      extent[a] = piece;
      const out = backend.makeOutput(extent, x.dtype);
      if (size(extent) > 0) {
        // Views after makeOutput: allocating may grow (and so replace) the heap.
        copyBox(
          backend.typedArrayFromHeap(x),
          x.shape,
          begin,
          extent,
          backend.typedArrayFromHeap(out),
        );
      }
      begin[a]! += piece;
      return out;
    });
    return outs;
  };
}

/**
 * Cast to the input's own dtype without a copy (the output shares the buffer, as on
 * tfjs-backend-cpu); `tf.moments` and the losses cast float32 to float32 on every call.
 *
 * @example
 * ```ts
 * const native = tf.getKernel("Cast", "wasm");
 * tf.registerKernel({ kernelName: "Cast", backendName: "wasm", kernelFunc: makeCast(native?.kernelFunc) });
 * ```
 */
export function makeCast(fallback: Fallback): tf.KernelFunc {
  return (args) => {
    const x = args.inputs.x as Info;
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (dtype !== x.dtype || x.dtype === "string") return fallbackOr(fallback, "Cast", args);
    return compose(args.backend as WasmBackendLike, (s) => s.reshape(x, [...x.shape]));
  };
}

/** The parts of tfjs-backend-wasm's `BackendWasm` that work on the heap directly. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(t: Info): Float32Array | Int32Array | Uint8Array;
}

/** Copies the box `start + [0, extent)` of a row-major array of `shape` into `dst`. */
function copyBox(
  src: Float32Array | Int32Array | Uint8Array,
  shape: number[],
  start: number[],
  extent: number[],
  dst: Float32Array | Int32Array | Uint8Array,
): void {
  // Merge the trailing axes the box spans fully, so that rows are as long as possible.
  const rank = shape.length;
  let inner = 1, axis = rank - 1;
  while (axis > 0 && start[axis] === 0 && extent[axis] === shape[axis]) inner *= shape[axis--]!;
  const rowLength = extent[axis]! * inner;
  const strides = shape.map((_, i) => size(shape.slice(i + 1)));
  const outer = extent.slice(0, axis);
  const count = size(outer);
  const index = new Array(axis).fill(0);
  for (let row = 0, at = 0; row < count; row++, at += rowLength) {
    let offset = start[axis]! * strides[axis]!;
    for (let i = 0; i < axis; i++) offset += (start[i]! + index[i]) * strides[i]!;
    dst.set(src.subarray(offset, offset + rowLength), at);
    for (let i = axis - 1; i >= 0; i--) {
      if (++index[i] < outer[i]!) break;
      index[i] = 0;
    }
  }
}

/**
 * FusedBatchNorm with per-channel statistics as two XNNPACK broadcasting passes over x,
 * `x · f + (offset - mean · f)` with `f = scale / sqrt(var + eps)` per channel, as PyTorch's CPU
 * inference does (the backend divides each element by a double).
 *
 * @example
 * ```ts
 * const native = tf.getKernel("FusedBatchNorm", "wasm");
 * tf.registerKernel({ kernelName: "FusedBatchNorm", backendName: "wasm", kernelFunc: makeFusedBatchNorm(native?.kernelFunc) });
 * ```
 */
export function makeFusedBatchNorm(fallback: Fallback): tf.KernelFunc {
  return (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<string, Info | undefined>;
    const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
    const c = x!.shape[x!.shape.length - 1];
    const perChannel = (t: Info | undefined) =>
      t === undefined || (t.shape.length === 1 && t.shape[0] === c && t.dtype === "float32");
    if (
      x!.dtype !== "float32" || !perChannel(mean) || !perChannel(variance) ||
      !perChannel(offset) || !perChannel(scale) || mean === undefined || variance === undefined
    ) {
      return fallbackOr(fallback, "FusedBatchNorm", args);
    }
    return compose(args.backend as WasmBackendLike, (s) => {
      const eps = fill(s, [1], varianceEpsilon);
      let factor = s.run("Rsqrt", { x: s.run("Add", { a: variance, b: eps }) }); // [C]
      if (scale) factor = s.run("Multiply", { a: factor, b: scale });
      let shift = s.run("Neg", { x: s.run("Multiply", { a: mean, b: factor }) }); // [C]
      if (offset) shift = s.run("Add", { a: offset, b: shift });
      return s.run("Add", { a: s.run("Multiply", { a: x!, b: factor }), b: shift });
    });
  };
}
