/**
 * GPU time and GFLOP/s of the convolutions one training step runs on WebGPU, each beside
 * tfjs-backend-webgpu's own MatMul of the same M x N x K on the same adapter (the issue's
 * yardstick: a convolution kernel should reach at least half of it), and both gradients as the
 * kit's kernels and as tfjs's.
 *
 * Times come from timestamp queries (`tf.time`'s kernelMs) where the adapter offers
 * `timestamp-query`, otherwise from the wall clock up to the output's readback. The MatMul is
 * tfjs's tiled one (MatMulPackedProgram), forced so for every shape.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { setWebGpuKernelsEnabled } from "../lib/backend/webgpu_kernels.ts";

/** One convolution layer as a training step runs it (NHWC, no dilation). */
export interface ConvLayer {
  readonly x: [number, number, number, number];
  readonly filter: [number, number, number, number];
  readonly strides: [number, number];
  readonly pad: "same" | "valid";
}

/** One timed kernel. */
export interface ConvKernelTime {
  readonly layer: string;
  readonly kernel: string;
  /** The GEMM it computes: M x N outputs over a reduction of K. */
  readonly gemm: readonly [number, number, number];
  readonly ms: number;
  readonly gflops: number;
  /** tfjs's MatMul of the same M x N x K. */
  readonly matMulGflops: number;
}

/** The parts of the webgpu backend the timer uses. */
interface WebGpuBackendTimer {
  supportTimestampQuery: boolean;
}

/** tfjs-backend-webgpu's MatMulProgramType.MatMulPackedProgram: its tiled GEMM. */
const MATMUL_PACKED = 3;

/**
 * Collects the distinct convolution layers `step` runs (from the Conv2D kernels it calls).
 *
 * @example
 * ```ts
 * const layers = await convLayersOf(() => trainStep(net, opt, batch, loss).then(() => {}));
 * ```
 */
export async function convLayersOf(step: () => Promise<void>): Promise<ConvLayer[]> {
  const seen = new Map<string, ConvLayer>();
  const undo: (() => void)[] = [];
  // Layers with a bias run FusedConv2D (forward and its gradient both come from it).
  for (const name of [tf.Conv2D, tf.FusedConv2D]) {
    const config = tf.getKernel(name, tf.getBackend()) as { kernelFunc: tf.KernelFunc } | undefined;
    if (!config) continue;
    const original = config.kernelFunc;
    config.kernelFunc = (args) => {
      const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const attrs = args.attrs as unknown as tf.Conv2DAttrs;
      const strides = typeof attrs.strides === "number"
        ? [attrs.strides, attrs.strides]
        : attrs.strides;
      if (attrs.dataFormat !== "NCHW" && (attrs.pad === "same" || attrs.pad === "valid")) {
        const layer = { x: x.shape, filter: filter.shape, strides, pad: attrs.pad } as ConvLayer;
        seen.set(JSON.stringify(layer), layer);
      }
      return original(args);
    };
    undo.push(() => (config.kernelFunc = original));
  }
  try {
    await step();
  } finally {
    undo.forEach((u) => u());
  }
  return [...seen.values()];
}

/** GPU milliseconds of one run of `fn` (median of `reps`, after one untimed run). */
async function gpuMs(fn: () => tf.Tensor, reps: number): Promise<number> {
  const backend = tf.backend() as unknown as WebGpuBackendTimer;
  const once = async (): Promise<number> => {
    if (backend.supportTimestampQuery) {
      let out: tf.Tensor | undefined;
      const info = await tf.time(() => void (out = fn()));
      out!.dispose();
      return info.kernelMs as number;
    }
    // Without timestamps: the wall clock up to the output's readback. (The queue's
    // onSubmittedWorkDone resolves before the work is done on Deno's OpenGL backend.)
    const t0 = performance.now();
    const out = fn();
    await out.data();
    out.dispose();
    return performance.now() - t0;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** The shape of a convolution's output. */
function outShape(l: ConvLayer): [number, number, number, number] {
  const [b, h, w] = l.x;
  const [fh, fw, , co] = l.filter;
  const [sh, sw] = l.strides;
  return l.pad === "same"
    ? [b, Math.ceil(h / sh), Math.ceil(w / sw), co]
    : [b, Math.ceil((h - fh + 1) / sh), Math.ceil((w - fw + 1) / sw), co];
}

/** How a layer reads in a table: input, filter and stride. */
export function describeLayer(l: ConvLayer): string {
  return `x ${l.x.join("x")} f ${l.filter.slice(0, 2).join("x")}x${l.filter[2]}->${l.filter[3]}` +
    ` s${l.strides[0]}`;
}

/**
 * Times forward convolution, input gradient, filter gradient (each the kit's and tfjs's) of each
 * layer, and tfjs's MatMul of each one's M x N x K.
 *
 * @example
 * ```ts
 * const rows = await timeConvKernels(layers, 3);
 * ```
 */
export async function timeConvKernels(
  layers: readonly ConvLayer[],
  reps: number,
  log: (line: string) => void = () => {},
): Promise<ConvKernelTime[]> {
  const rows: ConvKernelTime[] = [];
  const matMulCache = new Map<string, number>();
  const matMulGflops = async (m: number, n: number, k: number) => {
    const key = `${m}x${n}x${k}`;
    if (!matMulCache.has(key)) {
      const a = tf.randomUniform([m, k], -1, 1, "float32", 1);
      const b = tf.randomUniform([k, n], -1, 1, "float32", 2);
      // Always the tiled GEMM: for small outputs tfjs would pick its split-K MatMul, whose
      // atomic float adds stalled for minutes on llvmpipe.
      const flags = tf.env();
      const before = flags.get("WEBGPU_MATMUL_PROGRAM_TYPE");
      flags.set("WEBGPU_MATMUL_PROGRAM_TYPE", MATMUL_PACKED);
      let ms: number;
      try {
        ms = await gpuMs(() => tf.matMul(a, b), reps);
      } finally {
        flags.set("WEBGPU_MATMUL_PROGRAM_TYPE", before);
        tf.dispose([a, b]);
      }
      matMulCache.set(key, (2 * m * n * k) / (ms * 1e6));
    }
    return matMulCache.get(key)!;
  };
  for (const l of layers) {
    const dyShape = outShape(l);
    const x = tf.randomUniform(l.x, -1, 1, "float32", 3);
    const filter = tf.randomUniform(l.filter, -1, 1, "float32", 4);
    const dy = tf.randomUniform(dyShape, -1, 1, "float32", 5);
    const [b, h, w, ci] = l.x;
    const [fh, fw, , co] = l.filter;
    const outPixels = b * dyShape[1] * dyShape[2];
    const common = { strides: l.strides, pad: l.pad, dataFormat: "NHWC" };
    const run = (name: string, inputs: tf.NamedTensorMap, attrs: object) => () =>
      tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
    const kernels: [string, () => tf.Tensor, [number, number, number], boolean?][] = [
      [
        "Conv2D (kit)",
        run(tf.Conv2D, { x, filter }, { ...common, dilations: [1, 1] }),
        [outPixels, co, fh * fw * ci],
      ],
      [
        "Conv2D (tfjs)",
        run(tf.Conv2D, { x, filter }, { ...common, dilations: [1, 1] }),
        [outPixels, co, fh * fw * ci],
        false,
      ],
      [
        "Conv2DBackpropInput (kit)",
        run(tf.Conv2DBackpropInput, { dy, filter }, { ...common, inputShape: l.x }),
        [b * h * w, ci, fh * fw * co],
      ],
      [
        "Conv2DBackpropInput (tfjs)",
        run(tf.Conv2DBackpropInput, { dy, filter }, { ...common, inputShape: l.x }),
        [b * h * w, ci, fh * fw * co],
        false,
      ],
      [
        "Conv2DBackpropFilter (kit)",
        run(tf.Conv2DBackpropFilter, { x, dy }, { ...common, filterShape: l.filter }),
        [fh * fw * ci, co, outPixels],
      ],
      [
        "Conv2DBackpropFilter (tfjs)",
        run(tf.Conv2DBackpropFilter, { x, dy }, { ...common, filterShape: l.filter }),
        [fh * fw * ci, co, outPixels],
        false,
      ],
    ];
    for (const [kernel, fn, gemm, kit] of kernels) {
      // A step never asks for the image's gradient (the stem's input gradient).
      if (kernel.startsWith("Conv2DBackpropInput") && ci < 4) continue;
      setWebGpuKernelsEnabled(kit ?? true);
      let ms: number;
      try {
        ms = await gpuMs(fn, reps);
      } finally {
        setWebGpuKernelsEnabled(true);
      }
      const [m, n, k] = gemm;
      const row = {
        layer: describeLayer(l),
        kernel,
        gemm,
        ms,
        gflops: (2 * m * n * k) / (ms * 1e6),
        matMulGflops: await matMulGflops(m, n, k),
      };
      rows.push(row);
      log(formatConvRow(row));
    }
    tf.dispose([x, filter, dy]);
  }
  return rows;
}

/**
 * One row of the convolution table.
 *
 * @example
 * ```ts
 * rows.map(formatConvRow).join("\n");
 * ```
 */
export function formatConvRow(r: ConvKernelTime): string {
  const ratio = r.gflops / r.matMulGflops;
  return `${r.layer.padEnd(34)} ${r.kernel.padEnd(28)} ${r.gemm.join("x").padEnd(18)} ` +
    `${r.ms.toFixed(2).padStart(9)} ms ${r.gflops.toFixed(2).padStart(8)} GFLOP/s  ` +
    `MatMul ${r.matMulGflops.toFixed(2).padStart(8)} GFLOP/s  ${ratio.toFixed(2)}x`;
}
