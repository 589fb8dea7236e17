/**
 * oneDNN 2.x (Debian/Ubuntu `libdnnl2`), reached from TypeScript through Deno FFI, with no
 * compiled shim: the C API of oneDNN 2.x takes every structure by pointer, so the descriptors
 * live in byte buffers owned here and only opaque handles cross the boundary.
 *
 * This module holds the bindings and the helpers; the primitives are in native_dnnl_conv.ts
 * (convolutions) and native_bnorm.ts (batch normalisation). Each runs on pointers into the wasm
 * heap, so tfjs keeps owning every buffer.
 *
 * Kept whole (~300 lines): oneDNN's C constants, struct layouts and the FFI symbol table must
 * agree with each other and with libdnnl 2.x's headers, so they are read side by side.
 *
 * @module
 */

const SYMBOLS = {
  dnnl_version: { parameters: [], result: "pointer" },
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "pointer", "u32"], result: "i32" },
  dnnl_stream_wait: { parameters: ["pointer"], result: "i32" },
  dnnl_memory_desc_init_by_tag: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  dnnl_memory_desc_equal: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: [
      "buffer",
      "i32",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  dnnl_batch_normalization_forward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "f32", "u32"],
    result: "i32",
  },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: ["buffer", "i32", "buffer", "buffer", "f32", "u32"],
    result: "i32",
  },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["pointer", "pointer"], result: "i32" },
  dnnl_post_ops_create: { parameters: ["buffer"], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_post_ops_append_eltwise: {
    parameters: ["pointer", "f32", "i32", "f32", "f32"],
    result: "i32",
  },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_desc_destroy: { parameters: ["pointer"], result: "i32" },
  dnnl_primitive_desc_query: { parameters: ["pointer", "i32", "i32", "buffer"], result: "i32" },
  dnnl_primitive_desc_query_md: { parameters: ["pointer", "i32", "i32"], result: "pointer" },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "pointer", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
  dnnl_primitive_create: { parameters: ["buffer", "pointer"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["pointer", "pointer", "i32", "buffer"], result: "i32" },
  dnnl_memory_create: { parameters: ["buffer", "pointer", "pointer", "pointer"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["pointer", "buffer"], result: "i32" },
} as const;

/** The bound oneDNN functions. */
export type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/**
 * oneDNN 2.x constants (dnnl_types.h of 2.6, stable through the 2.x series), and the byte
 * sizes reserved for a `dnnl_memory_desc_t` (696 in 2.6) and an operation descriptor (a
 * convolution's is 5976), rounded up.
 *
 * @example
 * ```ts
 * DNNL.ARG_SRC; // 1, as DNNL_ARG_SRC
 * ```
 */
export const DNNL = {
  F32: 3,
  TAG_ANY: 1,
  TAG_A: 2,
  TAG_NHWC: 20,
  TAG_HWIO: 30,
  FORWARD_TRAINING: 64,
  FORWARD_INFERENCE: 96,
  BACKWARD: 128,
  CONVOLUTION_DIRECT: 1,
  CPU_ENGINE: 1,
  STREAM_DEFAULT: 1,
  QUERY_IMPL_INFO: 8,
  QUERY_WEIGHTS_MD: 131,
  QUERY_DIFF_WEIGHTS_MD: 132,
  ARG_SRC: 1,
  ARG_DST: 17,
  ARG_WEIGHTS: 33,
  ARG_BIAS: 41,
  ARG_MEAN: 49,
  ARG_VARIANCE: 50,
  ARG_SCALE: 51,
  ARG_SHIFT: 52,
  ARG_DIFF_SRC: 129,
  ARG_DIFF_DST: 145,
  ARG_DIFF_WEIGHTS: 161,
  ARG_DIFF_SCALE: 255,
  ARG_DIFF_SHIFT: 256,
  BNORM_GLOBAL_STATS: 1,
  BNORM_SCALE: 8,
  BNORM_SHIFT: 16,
  MD_BYTES: 1024,
  OP_DESC_BYTES: 8192,
} as const;

/**
 * oneDNN's elementwise post-ops for tfjs's fused activations: [algorithm, alpha, beta]; null
 * for none. tfjs's PReLU has none (its slopes are a tensor): the wasm kernel takes it.
 *
 * @example
 * ```ts
 * DNNL_ACTIVATIONS.relu; // [31, 0, 0]
 * ```
 */
export const DNNL_ACTIVATIONS: Record<string, [number, number, number] | null> = {
  linear: null,
  relu: [31, 0, 0],
  relu6: [16, 0, 6], // clip_v2 to [0, 6]
  elu: [63, 1, 0],
  sigmoid: [175, 0, 0], // logistic
};

/**
 * The post-op for a tfjs activation: [algorithm, alpha, beta], null for none (linear), undefined
 * when oneDNN has none. Leaky ReLU comes as `leakyrelu:<alpha>`.
 *
 * @example
 * ```ts
 * activationPostOp("leakyrelu:0.2"); // [31, 0.2, 0]: relu with negative slope 0.2
 * ```
 */
export function activationPostOp(name = "linear"): [number, number, number] | null | undefined {
  if (name.startsWith("leakyrelu:")) return [31, Number(name.slice("leakyrelu:".length)), 0];
  return DNNL_ACTIVATIONS[name];
}

/**
 * The soname of oneDNN 2.x, from the Debian/Ubuntu package `libdnnl2`.
 *
 * @example
 * ```ts
 * Deno.dlopen(DNNL_LIBRARY, {}); // throws when libdnnl2 is not installed
 * ```
 */
export const DNNL_LIBRARY = "libdnnl.so.2";

/**
 * The Debian/Ubuntu package that provides {@link DNNL_LIBRARY}.
 *
 * @example
 * ```ts
 * console.log(`apt-get install ${DNNL_PACKAGE}`);
 * ```
 */
export const DNNL_PACKAGE = "libdnnl2";

/**
 * Throws unless a oneDNN call returned success (0).
 *
 * @example
 * ```ts
 * check(dnnl.lib.dnnl_stream_wait(dnnl.stream), "stream wait");
 * ```
 */
export function check(status: number, what: string): void {
  if (status !== 0) throw new Error(`oneDNN ${what} failed with status ${status}`);
}

/**
 * A `dnnl_dims_t` (12 int64).
 *
 * @example
 * ```ts
 * dims([4, 64, 32, 32]); // BigInt64Array [4n, 64n, 32n, 32n, 0n, ...]
 * ```
 */
export function dims(values: readonly number[]): BigInt64Array {
  const out = new BigInt64Array(12);
  values.forEach((v, i) => (out[i] = BigInt(v)));
  return out;
}

/** A loaded oneDNN: the library, one CPU engine and one stream. */
export class Dnnl {
  readonly lib: Lib;
  readonly version: string;
  readonly engine: Deno.PointerObject;
  readonly stream: Deno.PointerObject;
  readonly #close: () => void;

  private constructor(dl: Deno.DynamicLibrary<typeof SYMBOLS>) {
    this.lib = dl.symbols;
    this.#close = () => dl.close();
    const v = new Deno.UnsafePointerView(this.lib.dnnl_version()!);
    this.version = `${v.getInt32(0)}.${v.getInt32(4)}.${v.getInt32(8)}`;
    if (v.getInt32(0) !== 2) throw new Error(`oneDNN ${this.version} found, the kit needs 2.x`);
    this.engine = this.#create(
      (out) => this.lib.dnnl_engine_create(out, DNNL.CPU_ENGINE, 0n),
      "engine",
    );
    const engine = this.engine;
    this.stream = this.#create(
      (out) => this.lib.dnnl_stream_create(out, engine, DNNL.STREAM_DEFAULT),
      "stream",
    );
  }

  /**
   * Opens oneDNN, or throws why it cannot (library absent, wrong major version).
   *
   * @example
   * ```ts
   * const dnnl = Dnnl.open(); // throws when libdnnl2 is not installed
   * dnnl.version; // "2.6.3"
   * ```
   */
  static open(path = DNNL_LIBRARY): Dnnl {
    const dl = Deno.dlopen(path, SYMBOLS);
    try {
      return new Dnnl(dl);
    } catch (e) {
      dl.close();
      throw e;
    }
  }

  /** Closes the library (only for tests: primitives made from it become invalid). */
  close(): void {
    this.#close();
  }

  /** Calls `make(out)` with an 8-byte out-parameter and returns the handle it wrote. */
  #create(make: (out: BigUint64Array) => number, what: string): Deno.PointerObject {
    const out = new BigUint64Array(1);
    check(make(out), what);
    const p = Deno.UnsafePointer.create(out[0]!);
    if (!p) throw new Error(`oneDNN ${what}: null handle`);
    return p;
  }

  /** Runs `make(out)` and returns the handle (for {@link ConvPrimitive}). */
  handle(make: (out: BigUint64Array) => number, what: string): Deno.PointerObject {
    return this.#create(make, what);
  }
}

/**
 * A plain f32 memory descriptor of `shape` (logical order N, C, H, W) in layout `tag`.
 *
 * @example
 * ```ts
 * const src = memoryDesc(dnnl.lib, [4, 64, 32, 32], DNNL.TAG_NHWC); // NHWC in memory
 * ```
 */
export function memoryDesc(lib: Lib, shape: number[], tag: number): Uint8Array {
  const md = new Uint8Array(DNNL.MD_BYTES);
  check(
    lib.dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), DNNL.F32, tag),
    "memory desc",
  );
  return md;
}

/**
 * An execution argument list `dnnl_exec_arg_t[]` (int arg; 4 bytes padding; memory handle).
 *
 * @example
 * ```ts
 * const args = execArgs([[DNNL.ARG_SRC, srcMemory], [DNNL.ARG_DST, dstMemory]]);
 * ```
 */
export function execArgs(args: [number, Deno.PointerObject][]): Uint8Array {
  const bytes = new Uint8Array(16 * args.length);
  const view = new DataView(bytes.buffer);
  args.forEach(([arg, mem], i) => {
    view.setInt32(16 * i, arg, true);
    view.setBigUint64(16 * i + 8, BigInt(Deno.UnsafePointer.value(mem)), true);
  });
  return bytes;
}
