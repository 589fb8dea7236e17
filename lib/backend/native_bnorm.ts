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
import { limitOmpThreads, withOmpThreads } from "./native_omp.ts";

/**
 * What a {@link BatchNormPrimitive} computes. `normalize` is `inference` (given statistics) run
 * as a training pass: with a fused ReLU it also writes the workspace `backward` reads.
 */
export type BatchNormKind = "inference" | "normalize" | "training" | "backward";

/** What a {@link BatchNormPrimitive} has: scale (γ), shift (β), and a fused ReLU after it. */
export interface BatchNormParts {
  readonly scale: boolean;
  readonly shift: boolean;
  /**
   * oneDNN's `dnnl_fuse_norm_relu`: `y = max(0, γ x̂ + β)`. In `normalize` it writes which
   * outputs were positive to a workspace (`ws`, {@link BatchNormPrimitive.workspaceBytes}), and
   * `backward` then gives the gradients of the pair, masking dy with it.
   */
  readonly relu?: boolean;
}

/** oneDNN 2.x constants this module alone uses (dnnl_types.h of 2.6). */
const BNORM_FUSE_RELU = 4, QUERY_WORKSPACE_MD = 135, ARG_WORKSPACE = 64, U8 = 6;

/**
 * One oneDNN batch normalisation over `[pixels, channels]`: `inference` with given mean and
 * variance; `training` computing the batch's mean and (biased) variance as well; `backward`
 * giving dx, dscale and dshift from x, the batch statistics, dy and the scale.
 *
 * @example
 * ```ts
 * const bn = new BatchNormPrimitive(dnnl, "inference", 4 * 32 * 32, 64, 1e-3, { scale: true, shift: true });
 * bn.execute({ x, mean, variance, scale, shift, y }); // Float32Array views of the wasm heap
 * ```
 */
export class BatchNormPrimitive {
  readonly #dnnl: Dnnl;
  readonly #prim: Deno.PointerObject;
  readonly #mems: Record<string, Deno.PointerObject> = {};
  readonly #args: Uint8Array;
  readonly #threads: number | undefined;
  /** Bytes of the ReLU workspace (`ws`) this primitive writes or reads; 0 without one. */
  readonly workspaceBytes: number = 0;

  constructor(
    dnnl: Dnnl,
    kind: BatchNormKind,
    pixels: number,
    channels: number,
    epsilon: number,
    has: BatchNormParts,
    /** OpenMP threads for this primitive (created and run with them); default: the pool's. */
    threads?: number,
  ) {
    this.#dnnl = dnnl;
    this.#threads = threads;
    // oneDNN fixes a primitive's thread count when its descriptor is made: limit it from here.
    const restore = threads === undefined ? () => {} : limitOmpThreads(threads);
    try {
      const lib = dnnl.lib;
      const data = memoryDesc(lib, [pixels, channels, 1, 1], DNNL.TAG_NHWC);
      const vec = memoryDesc(lib, [channels], DNNL.TAG_A);
      // The backward pass differentiates through the batch statistics: not global there.
      const given = kind === "inference" || kind === "normalize";
      const flags = (given ? DNNL.BNORM_GLOBAL_STATS : 0) |
        (has.scale ? DNNL.BNORM_SCALE : 0) | (has.shift ? DNNL.BNORM_SHIFT : 0) |
        (has.relu ? BNORM_FUSE_RELU : 0);
      const forward = (prop: number, forwardFlags = flags) => {
        const op = new Uint8Array(DNNL.OP_DESC_BYTES);
        check(
          lib.dnnl_batch_normalization_forward_desc_init(op, prop, data, epsilon, forwardFlags),
          "batch normalization desc",
        );
        return op;
      };
      const primDesc = (op: Uint8Array, hint: Deno.PointerValue) =>
        dnnl.handle(
          (out) => lib.dnnl_primitive_desc_create(out, op, null, dnnl.engine, hint),
          "batch normalization primitive desc",
        );
      let pd: Deno.PointerObject;
      if (kind === "backward") {
        // With a fused ReLU the hint is the forward pass that writes the workspace (`normalize`,
        // given statistics): oneDNN then refuses a backward pass whose workspace differs.
        const hint = primDesc(
          forward(DNNL.FORWARD_TRAINING, flags | (has.relu ? DNNL.BNORM_GLOBAL_STATS : 0)),
          null,
        );
        const op = new Uint8Array(DNNL.OP_DESC_BYTES);
        check(
          lib.dnnl_batch_normalization_backward_desc_init(
            op,
            DNNL.BACKWARD,
            data,
            data,
            epsilon,
            flags,
          ),
          "batch normalization backward desc",
        );
        try {
          pd = primDesc(op, hint);
        } finally {
          lib.dnnl_primitive_desc_destroy(hint);
        }
      } else {
        pd = primDesc(
          forward(kind === "inference" ? DNNL.FORWARD_INFERENCE : DNNL.FORWARD_TRAINING),
          null,
        );
      }
      const mem = (md: Uint8Array | Deno.PointerObject) =>
        dnnl.handle(
          (out) =>
            lib.dnnl_memory_create(
              out,
              md instanceof Uint8Array ? Deno.UnsafePointer.of(md) : md,
              dnnl.engine,
              null,
            ),
          "memory",
        );
      try {
        this.#prim = dnnl.handle((out) => lib.dnnl_primitive_create(out, pd), "primitive");
        if (has.relu && kind !== "inference") {
          // A 1-D u8 buffer in oneDNN 2.x (1 bit per value in the jit kernels, 8 in the
          // reference ones); its size is read from the descriptor (ndims, dims[0], data type).
          const ws = lib.dnnl_primitive_desc_query_md(pd, QUERY_WORKSPACE_MD, 0);
          const md = ws && new Deno.UnsafePointerView(ws);
          if (!ws || !md || md.getInt32(0) !== 1 || md.getInt32(104) !== U8) {
            throw new Error("oneDNN batch norm: no plain u8 workspace for the fused ReLU");
          }
          this.workspaceBytes = Number(md.getBigInt64(8));
          this.#mems["ws"] = mem(ws);
        }
      } finally {
        lib.dnnl_primitive_desc_destroy(pd);
      }
      const roles: [string, number, Uint8Array][] = [
        ["x", DNNL.ARG_SRC, data],
        ["mean", DNNL.ARG_MEAN, vec],
        ["variance", DNNL.ARG_VARIANCE, vec],
      ];
      if (has.scale) roles.push(["scale", DNNL.ARG_SCALE, vec]);
      // The backward pass refuses to run without the shift too (oneDNN 2.6), though unused.
      if (has.shift) roles.push(["shift", DNNL.ARG_SHIFT, vec]);
      if (kind === "backward") {
        roles.push(["dy", DNNL.ARG_DIFF_DST, data], ["dx", DNNL.ARG_DIFF_SRC, data]);
        if (has.scale) roles.push(["dscale", DNNL.ARG_DIFF_SCALE, vec]);
        if (has.shift) roles.push(["dshift", DNNL.ARG_DIFF_SHIFT, vec]);
      } else {
        roles.push(["y", DNNL.ARG_DST, data]);
      }
      const args: [number, Deno.PointerObject][] = this.#mems["ws"]
        ? [[ARG_WORKSPACE, this.#mems["ws"]]]
        : [];
      for (const [role, arg, md] of roles) {
        this.#mems[role] = mem(md);
        args.push([arg, this.#mems[role]!]);
      }
      this.#args = execArgs(args);
    } finally {
      restore();
    }
  }

  /** Runs on views of the wasm heap (taken after every allocation), by role. */
  execute(views: Record<string, Float32Array | Uint8Array | undefined>): void {
    const lib = this.#dnnl.lib;
    for (const [role, mem] of Object.entries(this.#mems)) {
      const view = views[role];
      if (!view) throw new Error(`oneDNN batch norm: no ${role} buffer`);
      check(lib.dnnl_memory_set_data_handle(mem, view), "set data handle");
    }
    const stream = this.#dnnl.stream;
    const n = this.#args.length / 16;
    this.#scoped(() => {
      check(lib.dnnl_primitive_execute(this.#prim, stream, n, this.#args), "execute");
      check(lib.dnnl_stream_wait(stream), "stream wait");
    });
  }

  #scoped<T>(fn: () => T): T {
    return this.#threads === undefined ? fn() : withOmpThreads(this.#threads, fn);
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
          prim = new BatchNormPrimitive(
            owner.dnnl,
            "inference",
            size(x!) / c,
            c,
            varianceEpsilon ?? 1e-3,
            {
              scale: !!scale,
              shift: !!offset,
            },
          );
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
