/**
 * FusedBatchNorm (batch normalisation with given statistics, as at inference) on oneDNN, in place
 * on the wasm heap. The kit's wasm FusedBatchNorm is four XNNPACK passes (scale, shift and their
 * broadcasts); oneDNN's is one: 17.6 ms -> see bench/RESULTS.md for the 96 of an hourglass
 * inference. Channels-last of any rank is viewed as `[M, C]` pixels by channels.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { check, DNNL, type Dnnl, execArgs, memoryDesc } from "./native_dnnl.ts";

/**
 * One oneDNN batch normalisation (forward, given mean and variance) over `[pixels, channels]`.
 *
 * @example
 * ```ts
 * const bn = new BatchNormPrimitive(dnnl, 4 * 32 * 32, 64, 1e-3, { scale: true, shift: true });
 * bn.execute({ x, mean, variance, scale, shift, y }); // Float32Array views of the wasm heap
 * ```
 */
export class BatchNormPrimitive {
  readonly #dnnl: Dnnl;
  readonly #prim: Deno.PointerObject;
  readonly #mems: Record<string, Deno.PointerObject> = {};
  readonly #args: Uint8Array;

  constructor(
    dnnl: Dnnl,
    pixels: number,
    channels: number,
    epsilon: number,
    has: { scale: boolean; shift: boolean },
  ) {
    this.#dnnl = dnnl;
    const lib = dnnl.lib;
    const data = memoryDesc(lib, [pixels, channels, 1, 1], DNNL.TAG_NHWC);
    const vec = memoryDesc(lib, [channels], DNNL.TAG_A);
    const flags = DNNL.BNORM_GLOBAL_STATS | (has.scale ? DNNL.BNORM_SCALE : 0) |
      (has.shift ? DNNL.BNORM_SHIFT : 0);
    const op = new Uint8Array(DNNL.OP_DESC_BYTES);
    check(
      lib.dnnl_batch_normalization_forward_desc_init(
        op,
        DNNL.FORWARD_INFERENCE,
        data,
        epsilon,
        flags,
      ),
      "batch normalization desc",
    );
    const pd = dnnl.handle(
      (out) => lib.dnnl_primitive_desc_create(out, op, null, dnnl.engine, null),
      "batch normalization primitive desc",
    );
    try {
      this.#prim = dnnl.handle((out) => lib.dnnl_primitive_create(out, pd), "primitive");
    } finally {
      lib.dnnl_primitive_desc_destroy(pd);
    }
    const mem = (md: Uint8Array) =>
      dnnl.handle(
        (out) => lib.dnnl_memory_create(out, Deno.UnsafePointer.of(md), dnnl.engine, null),
        "memory",
      );
    const roles: [string, number, Uint8Array][] = [
      ["x", DNNL.ARG_SRC, data],
      ["y", DNNL.ARG_DST, data],
      ["mean", DNNL.ARG_MEAN, vec],
      ["variance", DNNL.ARG_VARIANCE, vec],
    ];
    if (has.scale) roles.push(["scale", DNNL.ARG_SCALE, vec]);
    if (has.shift) roles.push(["shift", DNNL.ARG_SHIFT, vec]);
    const args: [number, Deno.PointerObject][] = [];
    for (const [role, arg, md] of roles) {
      this.#mems[role] = mem(md);
      args.push([arg, this.#mems[role]!]);
    }
    this.#args = execArgs(args);
  }

  /** Runs on views of the wasm heap (taken after every allocation). */
  execute(views: Record<string, Float32Array | undefined>): void {
    const lib = this.#dnnl.lib;
    for (const [role, mem] of Object.entries(this.#mems)) {
      const view = views[role];
      if (!view) throw new Error(`oneDNN batch norm: no ${role} buffer`);
      check(lib.dnnl_memory_set_data_handle(mem, view), "set data handle");
    }
    const stream = this.#dnnl.stream;
    check(
      lib.dnnl_primitive_execute(this.#prim, stream, this.#args.length / 16, this.#args),
      "execute",
    );
    check(lib.dnnl_stream_wait(stream), "stream wait");
  }
}

/** The parts of tfjs-backend-wasm's `BackendWasm` a native kernel needs. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function size(t: tf.TensorInfo): number {
  return t.shape.reduce((p, d) => p * d, 1);
}

/**
 * A native FusedBatchNorm over `fallback`, which takes every call with a statistic that is not
 * one float32 value per channel (last axis), or an empty input.
 *
 * @example
 * ```ts
 * const cache = new ConvCache(Dnnl.open());
 * makeNativeFusedBatchNorm(() => cache, tf.getKernel("FusedBatchNorm", "wasm")!.kernelFunc, () => true);
 * ```
 */
export function makeNativeFusedBatchNorm(
  /** The current library owner; a new one (new thread count) means new primitives. */
  current: () => { readonly dnnl: Dnnl },
  fallback: tf.KernelFunc,
  enabled: () => boolean,
  counted: (native: boolean) => void = () => {},
): tf.KernelFunc {
  const built = new Map<string, BatchNormPrimitive | null>();
  let builtFor: object | undefined;
  return (args) => {
    const { x, mean, variance, offset, scale } = args.inputs as Record<
      string,
      tf.TensorInfo | undefined
    >;
    const { varianceEpsilon } = args.attrs as unknown as tf.FusedBatchNormAttrs;
    const c = x!.shape[x!.shape.length - 1] ?? 0;
    const stats = [mean, variance, offset, scale].filter((t) => t !== undefined);
    const fits = enabled() && x!.dtype === "float32" && x!.shape.length >= 1 && size(x!) > 0 &&
      mean !== undefined && variance !== undefined &&
      stats.every((t) => t.dtype === "float32" && size(t) === c);
    let prim: BatchNormPrimitive | null = null;
    if (fits) {
      const owner = current();
      if (builtFor !== owner) built.clear(), builtFor = owner;
      const key = `${size(x!) / c},${c},${varianceEpsilon},${!!scale},${!!offset}`;
      prim = built.get(key) ?? null;
      if (!built.has(key)) {
        try {
          prim = new BatchNormPrimitive(owner.dnnl, size(x!) / c, c, varianceEpsilon ?? 1e-3, {
            scale: !!scale,
            shift: !!offset,
          });
        } catch {
          prim = null;
        }
        built.set(key, prim);
      }
    }
    counted(prim !== null);
    if (!prim) return fallback(args);
    const backend = args.backend as unknown as WasmHeapBackend;
    const out = backend.makeOutput([...x!.shape], "float32");
    const view = (t: tf.TensorInfo | undefined) =>
      t ? backend.typedArrayFromHeap(t) as Float32Array : undefined;
    prim.execute({
      x: view(x),
      y: view(out),
      mean: view(mean),
      variance: view(variance),
      scale: view(scale),
      shift: view(offset),
    });
    return out;
  };
}
