/**
 * Conv2DBackpropFilter for tfjs-backend-webgpu as a tiled implicit GEMM with split-K.
 *
 * The filter gradient of an NHWC convolution is one matrix product:
 * `dW[K, N] = patches(x)[M, K]ᵀ · dy[M, N]` with `M = batch · outH · outW` (the reduction),
 * `K = filterH · filterW · inChannels` (dW's rows, in the filter's own memory order) and
 * `N = outChannels`. tfjs-backend-webgpu 4.22 gives each filter weight one invocation that loops
 * serially over all M terms: a few thousand invocations with loops of 10⁴–10⁵ steps, which
 * leaves a large GPU idle. Here each workgroup computes a 64 × 64 tile of dW (64 × 32 or
 * 64 × 16 for narrow layers) over one slice of M (split-K), staging 16 rows of both operands in
 * workgroup memory per step, with vec4 loads where the channels allow; a second small pass sums the slices. The patches are never built:
 * the loads compute which input pixel a row of M and a column of K read (implicit GEMM).
 *
 * Kept whole (~300 lines): most of it is the one WGSL program, whose tiling constants the split
 * planner above it must agree with.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { isPointwise, pointwiseMatMul } from "./webgpu_conv2d.ts";

/** Output rows (K) one workgroup computes. */
const TILE = 64;
/** Rows of M staged in workgroup memory per step. */
const TILE_M = 16;
/** Threads along K: TILE / 4 (each thread owns 4 rows and 4 columns of dW). */
const THREADS = TILE / 4;

/**
 * Output columns (N = output channels) one workgroup computes: 64, or 32 / 16 for narrower
 * layers, so that a 32-channel layer (every layer of the default 1x32 network, the 2x64's
 * bottleneck halves) does not leave half of each tile's columns computing zeros. With 64 such
 * layers' filter gradients read 0.43-0.48x of MatMul on llvmpipe (bench/RESULTS.md, "WebGPU,
 * part 4"). The workgroup is (tile / 4) x 16 threads.
 *
 * @example
 * ```ts
 * tileColumns(256); // 64
 * tileColumns(32); // 32
 * ```
 */
export function tileColumns(n: number): 16 | 32 | 64 {
  return n <= 16 ? 16 : n <= 32 ? 32 : 64;
}
/**
 * Workgroups to aim for: enough to fill a large GPU (an H200 has 132 SMs, each running several
 * workgroups at once); split-K adds slices of M until a layer reaches it.
 */
const TARGET_WORKGROUPS = 1024;
/** A slice of M shorter than this would spend more on the summing pass than it saves. */
const MIN_SLICE = 256;
/** Largest partial-sum buffer (floats) split-K may allocate: 64 MB. */
const MAX_PARTIAL_FLOATS = 16 * 1024 * 1024;

/** What tfjs-backend-webgpu's `runWebGPUProgram` reads from a program (its WebGPUProgram). */
export interface WebGpuProgram {
  variableNames: string[];
  variableComponents?: number[];
  outputShape: number[];
  outputComponent?: number;
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size?: boolean;
  uniforms?: string;
  getUserCode: () => string;
}

/** The parts of tfjs-backend-webgpu's backend the kit's kernels call. */
export interface WebGpuBackendLike {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: tf.TensorInfo[],
    dtype: tf.DataType,
    uniforms?: { type: "int32" | "float32"; data: number[] }[],
  ): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
}

/** How the GEMM is cut: slices of M and their length. */
export interface SplitPlan {
  readonly slices: number;
  readonly sliceLength: number;
}

/**
 * Chooses how many slices of the reduction (M) split-K uses for a K × N output.
 *
 * @example
 * ```ts
 * planSplit(65536, 2304, 256); // { slices: 8, sliceLength: 8192 }: 144 tiles x 8 slices
 * ```
 */
export function planSplit(m: number, k: number, n: number): SplitPlan {
  const tiles = Math.ceil(k / TILE) * Math.ceil(n / tileColumns(n));
  let slices = Math.ceil(TARGET_WORKGROUPS / tiles);
  slices = Math.min(slices, Math.ceil(m / MIN_SLICE), Math.floor(MAX_PARTIAL_FLOATS / (k * n)));
  slices = Math.max(1, slices);
  const sliceLength = Math.ceil(Math.ceil(m / slices) / TILE_M) * TILE_M;
  return { slices: Math.ceil(m / sliceLength), sliceLength };
}

/** The GEMM pass: one [slices, K, N] partial sum per slice of M (or dW itself with one slice). */
class FilterGradGemmProgram implements WebGpuProgram {
  variableNames = ["x", "dy"];
  variableComponents: number[];
  outputShape: number[];
  outputComponent: number;
  shaderKey: string;
  dispatchLayout = { x: [2], y: [1], z: [0] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms = "gemmM : i32, gemmK : i32, gemmN : i32, sliceLength : i32, inH : i32, inW : i32, " +
    "inC : i32, outW : i32, outHW : i32, filterW : i32, strideH : i32, strideW : i32, " +
    "padTop : i32, padLeft : i32,";
  private readonly xVec4: boolean;
  private readonly dyVec4: boolean;
  /** Output columns per workgroup, and threads along N (one per 4 columns). */
  private readonly tileN: number;
  private readonly threadsN: number;

  constructor(shape: [number, number, number], xVec4: boolean, dyVec4: boolean) {
    const [slices, k, n] = shape;
    this.outputShape = shape;
    this.xVec4 = xVec4;
    this.dyVec4 = dyVec4;
    this.tileN = tileColumns(n);
    this.threadsN = this.tileN / 4;
    this.workgroupSize = [this.threadsN, THREADS, 1];
    this.variableComponents = [xVec4 ? 4 : 1, dyVec4 ? 4 : 1];
    this.outputComponent = dyVec4 ? 4 : 1;
    this.dispatch = [Math.ceil(n / this.tileN), Math.ceil(k / TILE), slices];
    this.shaderKey = `kitConv2DDerFilterGemm_${xVec4}_${dyVec4}_${this.tileN}`;
  }

  getUserCode(): string {
    // A: four consecutive K columns of one M row (one input pixel's channels when vec4), each
    // found by inputAt: GEMM column k of output pixel (b, ho, wo) is filter tap (r, c) of input
    // channel ci, read from x unless it falls in the padding (-1).
    const loadA = this.xVec4
      ? `
      let i = inputAt(b, ho, wo, k);
      if (i < 0) { return vec4<f32>(0.0); }
      return x[i / 4];`
      : `
      var v = vec4<f32>(0.0);
      for (var j = 0; j < 4; j++) {
        let i = inputAt(b, ho, wo, k + j);
        if (i >= 0) { v[j] = x[i]; }
      }
      return v;`;
    const loadB = this.dyVec4
      ? `
      if (n >= uniforms.gemmN) { return vec4<f32>(0.0); }
      return dy[(m * uniforms.gemmN + n) / 4];`
      : `
      var v = vec4<f32>(0.0);
      for (var j = 0; j < 4; j++) {
        if (n + j < uniforms.gemmN) { v[j] = dy[m * uniforms.gemmN + n + j]; }
      }
      return v;`;
    const store = this.dyVec4 ? `result[(base + n) / 4] = acc[i];` : `for (var j = 0; j < 4; j++) {
          if (n + j < uniforms.gemmN) { result[base + n + j] = acc[i][j]; }
        }`;
    return `
    var<workgroup> aTile : array<vec4<f32>, ${TILE_M * THREADS}>;
    var<workgroup> bTile : array<vec4<f32>, ${TILE_M * this.threadsN}>;

    fn inputAt(b : i32, ho : i32, wo : i32, k : i32) -> i32 {
      let r = k / (uniforms.filterW * uniforms.inC);
      let rest = k - r * uniforms.filterW * uniforms.inC;
      let c = rest / uniforms.inC;
      let ci = rest - c * uniforms.inC;
      let hi = ho * uniforms.strideH - uniforms.padTop + r;
      let wi = wo * uniforms.strideW - uniforms.padLeft + c;
      if (k >= uniforms.gemmK || hi < 0 || hi >= uniforms.inH || wi < 0 || wi >= uniforms.inW) {
        return -1;
      }
      return ((b * uniforms.inH + hi) * uniforms.inW + wi) * uniforms.inC + ci;
    }

    fn loadA(m : i32, mEnd : i32, k : i32) -> vec4<f32> {
      if (m >= mEnd) { return vec4<f32>(0.0); }
      let b = m / uniforms.outHW;
      let pix = m - b * uniforms.outHW;
      let ho = pix / uniforms.outW;
      let wo = pix - ho * uniforms.outW;
      ${loadA}
    }

    fn loadB(m : i32, mEnd : i32, n : i32) -> vec4<f32> {
      if (m >= mEnd) { return vec4<f32>(0.0); }
      ${loadB}
    }

    fn main() {
      let lx = i32(localId.x);
      let ly = i32(localId.y);
      let t = i32(localIndex);
      let n0 = i32(workgroupId.x) * ${this.tileN};
      let k0 = i32(workgroupId.y) * ${TILE};
      let slice = i32(workgroupId.z);
      let mStart = slice * uniforms.sliceLength;
      let mEnd = min(mStart + uniforms.sliceLength, uniforms.gemmM);
      // The workgroup's ${THREADS * this.threadsN} threads stage the step's ${TILE_M} rows: of A
      // (${THREADS} vec4 per row) ${(TILE_M * THREADS) / (THREADS * this.threadsN)} each, of dy
      // (${this.threadsN} vec4 per row) one each. Thread t's dy slot: row t / ${this.threadsN}.
      let loadRow = t / ${this.threadsN};
      let loadCol = (t - loadRow * ${this.threadsN}) * 4;

      var acc : array<vec4<f32>, 4>;
      for (var i = 0; i < 4; i++) { acc[i] = vec4<f32>(0.0); }
      for (var m0 = mStart; m0 < mEnd; m0 += ${TILE_M}) {
        for (var i = t; i < ${TILE_M * THREADS}; i += ${THREADS * this.threadsN}) {
          let row = i / ${THREADS};
          aTile[i] = loadA(m0 + row, mEnd, k0 + (i - row * ${THREADS}) * 4);
        }
        bTile[t] = loadB(m0 + loadRow, mEnd, n0 + loadCol);
        workgroupBarrier();
        for (var mm = 0; mm < ${TILE_M}; mm++) {
          let a = aTile[mm * ${THREADS} + ly];
          let bv = bTile[mm * ${this.threadsN} + lx];
          acc[0] = fma(vec4<f32>(a.x), bv, acc[0]);
          acc[1] = fma(vec4<f32>(a.y), bv, acc[1]);
          acc[2] = fma(vec4<f32>(a.z), bv, acc[2]);
          acc[3] = fma(vec4<f32>(a.w), bv, acc[3]);
        }
        workgroupBarrier();
      }
      let n = n0 + lx * 4;
      for (var i = 0; i < 4; i++) {
        let k = k0 + ly * 4 + i;
        if (k < uniforms.gemmK && n < uniforms.gemmN) {
          let base = (slice * uniforms.gemmK + k) * uniforms.gemmN;
          ${store}
        }
      }
    }`;
  }
}

/** The summing pass: dW = Σ over slices of the partial sums. */
class SliceSumProgram implements WebGpuProgram {
  variableNames = ["partial"];
  variableComponents: number[];
  outputShape: number[];
  outputComponent: number;
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  uniforms = "slices : i32, sliceSize : i32,";

  constructor(filterShape: number[], vec4: boolean) {
    this.outputShape = filterShape;
    this.outputComponent = vec4 ? 4 : 1;
    this.variableComponents = [this.outputComponent];
    this.dispatchLayout = { x: filterShape.map((_, i) => i) };
    const size = filterShape.reduce((p, d) => p * d, 1) / this.outputComponent;
    this.dispatch = [Math.ceil(size / 64), 1, 1];
    this.shaderKey = `kitSliceSum_${vec4}`;
  }

  getUserCode(): string {
    const zero = this.outputComponent === 4 ? "vec4<f32>(0.0)" : "0.0";
    return `
    fn main(index : i32) {
      if (index < uniforms.size) {
        var sum = ${zero};
        for (var s = 0; s < uniforms.slices; s++) {
          sum += partial[s * uniforms.sliceSize + index];
        }
        result[index] = sum;
      }
    }`;
  }
}

/**
 * Conv2DBackpropFilter on webgpu for NHWC float32 inputs (what the kit's models run). Returns
 * undefined for what it does not cover (NCHW), so that the caller can use tfjs's own kernel.
 *
 * @example
 * ```ts
 * tf.registerKernel({
 *   kernelName: "Conv2DBackpropFilter",
 *   backendName: "webgpu",
 *   kernelFunc: (args) => webGpuConv2DBackpropFilter(args) ?? original(args),
 * });
 * ```
 */
export function webGpuConv2DBackpropFilter(
  args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap },
): tf.TensorInfo | undefined {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const backend = args.backend as WebGpuBackendLike;
  if (attrs.dataFormat === "NCHW" || x.dtype !== "float32" || dy.dtype !== "float32") {
    return undefined;
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const m = info.batchSize * info.outHeight * info.outWidth;
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const n = info.outChannels;
  const plan = planSplit(m, k, n);
  // A 1x1 convolution's filter gradient is dW[Cin, Cout] = x[M, Cin]ᵀ · dy[M, Cout]. When the
  // reduction is short enough that split-K would not cut it (one slice), tfjs's tiled MatMul
  // does the same product with 32 x 32 tiles: four times the workgroups of this program's
  // 64 x 64 and no half-empty tile at 32 output channels (a 64->32 layer at 8x8 px read 0.48x
  // of MatMul here; bench/RESULTS.md, "WebGPU, part 4").
  if (plan.slices === 1 && isPointwise(info)) {
    return pointwiseMatMul(backend, {
      a: x,
      aShape: [m, info.inChannels],
      transposeA: true,
      b: dy,
      bShape: [m, n],
      outShape: info.filterShape,
    });
  }
  const xVec4 = info.inChannels % 4 === 0;
  const dyVec4 = n % 4 === 0;
  const uniforms = [
    m,
    k,
    n,
    plan.sliceLength,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outWidth,
    info.outHeight * info.outWidth,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
  ].map((v) => ({ type: "int32" as const, data: [v] }));
  const gemm = new FilterGradGemmProgram([plan.slices, k, n], xVec4, dyVec4);
  const partial = backend.runWebGPUProgram(gemm, [x, dy], "float32", uniforms);
  if (plan.slices === 1) {
    return { dataId: partial.dataId, shape: info.filterShape, dtype: "float32" };
  }
  const vec4 = (k * n) % 4 === 0;
  const sum = new SliceSumProgram(info.filterShape, vec4);
  const out = backend.runWebGPUProgram(sum, [partial], "float32", [
    { type: "int32", data: [plan.slices] },
    { type: "int32", data: [(k * n) / (vec4 ? 4 : 1)] },
  ]);
  backend.disposeData(partial.dataId);
  return out;
}
