/**
 * Convolution kernels for the tfjs wasm backend that run oneDNN's native code (native_dnnl.ts)
 * in place on the wasm heap: Conv2D, FusedConv2D (bias and activation fused), the input
 * gradient Conv2DBackpropInput and the filter gradient Conv2DBackpropFilter.
 *
 * Each kernel wraps the one registered before it (the backend's own, or the kit's composed
 * wasm kernel) and hands it every call oneDNN cannot take: NCHW, non-float32, empty tensors,
 * PReLU, a bias that is not one value per output channel, or a geometry oneDNN refuses. One
 * oneDNN primitive is built per geometry and kept (a training run sees a few dozen).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { convInfoNHWC } from "./conv_info.ts";
import { activationPostOp, type Dnnl } from "./native_dnnl.ts";
import { type ConvGeometry, type ConvKind, ConvPrimitive } from "./native_dnnl_conv.ts";

/** The parts of tfjs-backend-wasm's `BackendWasm` a native kernel needs. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Calls answered natively and handed to the fallback, per kernel (for tests and the bench). */
export const nativeCallCounts: Record<string, { native: number; fallback: number }> = {};

/**
 * Counts one call of `kernel`, answered natively or by the fallback.
 *
 * @example
 * ```ts
 * countNativeCall("FusedBatchNorm", true);
 * ```
 */
export function countNativeCall(kernel: string, native: boolean): void {
  const c = nativeCallCounts[kernel] ??= { native: 0, fallback: 0 };
  if (native) c.native++;
  else c.fallback++;
}

function geometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    padBefore: [info.padInfo.top, info.padInfo.left],
    padAfter: [info.padInfo.bottom, info.padInfo.right],
  };
}

/**
 * Builds and caches oneDNN convolutions by geometry; a geometry oneDNN refuses is remembered as
 * refused (the fallback takes it from then on).
 *
 * @example
 * ```ts
 * const cache = new ConvCache(Dnnl.open());
 * cache.get("forward", info, { bias: true, activation: "relu" })?.execute({ x, filter, bias, y });
 * ```
 */
export class ConvCache {
  readonly dnnl: Dnnl;
  readonly #built = new Map<string, ConvPrimitive | null>();
  /** Why the last refused geometry was refused (for tests). */
  lastRefusal?: string;

  constructor(dnnl: Dnnl) {
    this.dnnl = dnnl;
  }

  /** Distinct primitives built so far. */
  get size(): number {
    return this.#built.size;
  }

  get(
    kind: ConvKind,
    info: tf.backend_util.Conv2DInfo,
    fused: { bias?: boolean; activation?: string } = {},
  ): ConvPrimitive | null {
    const g = geometry(info);
    const key = JSON.stringify([kind, g, fused.bias ?? false, fused.activation ?? "linear"]);
    let prim = this.#built.get(key);
    if (prim === undefined) {
      try {
        prim = new ConvPrimitive(this.dnnl, kind, g, fused);
      } catch (e) {
        this.lastRefusal = (e as Error).message;
        prim = null;
      }
      this.#built.set(key, prim);
    }
    return prim;
  }
}

function floatNonEmpty(...ts: (tf.TensorInfo | undefined)[]): boolean {
  return ts.every((t) => !t || (t.dtype === "float32" && t.shape.every((d) => d > 0)));
}

function channelsLast(dataFormat: string | undefined): boolean {
  return dataFormat === undefined || dataFormat === "NHWC";
}

function asPair(d: number | [number, number] | undefined): [number, number] {
  if (d === undefined) return [1, 1];
  return typeof d === "number" ? [d, d] : d;
}

/**
 * A native Conv2D or FusedConv2D over `fallback` (see the module notes). `enabled()` is read
 * on every call, so the native path can be switched off at run time (tests compare both).
 *
 * @example
 * ```ts
 * const old = tf.getKernel("FusedConv2D", "wasm")!;
 * makeNativeConv2D("FusedConv2D", cache, old.kernelFunc, () => true);
 * ```
 */
export function makeNativeConv2D(
  kernel: "Conv2D" | "FusedConv2D",
  cache: ConvCache,
  fallback: tf.KernelFunc,
  enabled: () => boolean,
): tf.KernelFunc {
  return (args) => {
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<
      string,
      tf.TensorInfo | undefined
    >;
    const a = args.attrs as unknown as tf.FusedConv2DAttrs;
    let activation: string = a.activation ?? "linear";
    if (activation === "leakyrelu") activation = `leakyrelu:${a.leakyreluAlpha ?? 0.2}`;
    const known = activationPostOp(activation) !== undefined;
    const co = filter!.shape[3]!;
    const biasFits = !bias || bias.shape.reduce((p, d) => p * d, 1) === co;
    if (
      !enabled() || !channelsLast(a.dataFormat) || preluActivationWeights || !known ||
      !biasFits || !floatNonEmpty(x, filter, bias)
    ) {
      countNativeCall(kernel, false);
      return fallback(args);
    }
    const info = convInfoNHWC(x!.shape, filter!.shape, a, asPair(a.dilations));
    const prim = cache.get("forward", info, { bias: !!bias, activation });
    if (!prim) {
      countNativeCall(kernel, false);
      return fallback(args);
    }
    countNativeCall(kernel, true);
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput(info.outShape, "float32");
    // Views after makeOutput: allocating may grow (and so replace) the heap.
    const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    prim.execute({
      x: view(x!),
      filter: view(filter!),
      bias: bias ? view(bias) : undefined,
      y: view(out),
    });
    return out;
  };
}

/**
 * A native Conv2DBackpropInput (dx from dy and the filter) over `fallback`.
 *
 * @example
 * ```ts
 * makeNativeConv2DBackpropInput(cache, tf.getKernel("Conv2DBackpropInput", "wasm")!.kernelFunc, () => true);
 * ```
 */
export function makeNativeConv2DBackpropInput(
  cache: ConvCache,
  fallback: tf.KernelFunc,
  enabled: () => boolean,
): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const kernel = "Conv2DBackpropInput";
    if (!enabled() || !channelsLast(a.dataFormat) || !floatNonEmpty(dy, filter)) {
      countNativeCall(kernel, false);
      return fallback(args);
    }
    const info = convInfoNHWC(a.inputShape, filter.shape, a);
    const shapeOk = info.outShape.every((d, i) => d === dy.shape[i]);
    const prim = shapeOk ? cache.get("inputGradient", info) : null;
    if (!prim) {
      countNativeCall(kernel, false);
      return fallback(args);
    }
    countNativeCall(kernel, true);
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput([...a.inputShape], "float32");
    const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    prim.execute({ dy: view(dy), filter: view(filter), dx: view(out) });
    return out;
  };
}

/**
 * A native Conv2DBackpropFilter (dW from x and dy) over `fallback`.
 *
 * @example
 * ```ts
 * makeNativeConv2DBackpropFilter(cache, tf.getKernel("Conv2DBackpropFilter", "wasm")!.kernelFunc, () => true);
 * ```
 */
export function makeNativeConv2DBackpropFilter(
  cache: ConvCache,
  fallback: tf.KernelFunc,
  enabled: () => boolean,
): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    const kernel = "Conv2DBackpropFilter";
    if (!enabled() || !channelsLast(a.dataFormat) || !floatNonEmpty(x, dy)) {
      countNativeCall(kernel, false);
      return fallback(args);
    }
    const info = convInfoNHWC(x.shape, a.filterShape, a);
    const shapeOk = info.outShape.every((d, i) => d === dy.shape[i]);
    const prim = shapeOk ? cache.get("filterGradient", info) : null;
    if (!prim) {
      countNativeCall(kernel, false);
      return fallback(args);
    }
    countNativeCall(kernel, true);
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput([...a.filterShape], "float32");
    const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
    prim.execute({ x: view(x), dy: view(dy), dFilter: view(out) });
    return out;
  };
}
