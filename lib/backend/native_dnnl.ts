/**
 * oneDNN 2.x (Debian/Ubuntu `libdnnl2`), reached from TypeScript through Deno FFI, with no
 * compiled shim: the C API of oneDNN 2.x takes every structure by pointer, so the descriptors
 * live in byte buffers owned here and only opaque handles cross the boundary.
 *
 * {@link ConvPrimitive} is one convolution (forward with fused bias and activation, input
 * gradient or filter gradient) for one set of shapes, built once and executed on pointers into
 * the wasm heap: activations stay NHWC and filters `[kh, kw, Cin, Cout]` (oneDNN's `hwio`), so
 * tfjs keeps owning every buffer. The filter (or its gradient) is reordered to and from the
 * blocked layout oneDNN's AVX-512/AVX2 kernels want, in a buffer oneDNN owns; filters are small.
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

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** oneDNN 2.x constants (dnnl_types.h of 2.6; stable through the 2.x series). */
const F32 = 3, TAG_ANY = 1, TAG_NHWC = 20, TAG_HWIO = 30, TAG_A = 2;
const FORWARD_TRAINING = 64, FORWARD_INFERENCE = 96;
const CONVOLUTION_DIRECT = 1, CPU_ENGINE = 1, STREAM_DEFAULT = 1;
const QUERY_IMPL_INFO = 8, QUERY_WEIGHTS_MD = 131, QUERY_DIFF_WEIGHTS_MD = 132;
const ARG_SRC = 1, ARG_DST = 17, ARG_WEIGHTS = 33, ARG_BIAS = 41;
const ARG_DIFF_SRC = 129, ARG_DIFF_DST = 145, ARG_DIFF_WEIGHTS = 161;
/** Bytes of a `dnnl_memory_desc_t` (696 in 2.6) and a `dnnl_convolution_desc_t` (5976), rounded up. */
const MD_BYTES = 1024, OP_DESC_BYTES = 8192;

/** oneDNN's elementwise post-ops for tfjs's fused activations: [algorithm, alpha, beta]. */
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

/** The soname of oneDNN 2.x, from the Debian/Ubuntu package `libdnnl2`. */
export const DNNL_LIBRARY = "libdnnl.so.2";

/** The Debian/Ubuntu package that provides {@link DNNL_LIBRARY}. */
export const DNNL_PACKAGE = "libdnnl2";

/** What kind of convolution a {@link ConvPrimitive} computes. */
export type ConvKind = "forward" | "inputGradient" | "filterGradient";

/** One convolution's geometry, NHWC, filters `[kh, kw, Cin, Cout]`. */
export interface ConvGeometry {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strides: [number, number];
  readonly dilations: [number, number];
  /** Zero padding before (top, left) and after (bottom, right); oneDNN allows a negative after. */
  readonly padBefore: [number, number];
  readonly padAfter: [number, number];
}

function check(status: number, what: string): void {
  if (status !== 0) throw new Error(`oneDNN ${what} failed with status ${status}`);
}

function dims(values: readonly number[]): BigInt64Array {
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
    this.engine = this.#create((out) => this.lib.dnnl_engine_create(out, CPU_ENGINE, 0n), "engine");
    const engine = this.engine;
    this.stream = this.#create(
      (out) => this.lib.dnnl_stream_create(out, engine, STREAM_DEFAULT),
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

function memoryDesc(lib: Lib, shape: number[], tag: number): Uint8Array {
  const md = new Uint8Array(MD_BYTES);
  check(lib.dnnl_memory_desc_init_by_tag(md, shape.length, dims(shape), F32, tag), "memory desc");
  return md;
}

/** An execution argument list `dnnl_exec_arg_t[]` (int arg; 4 bytes padding; memory handle). */
function execArgs(args: [number, Deno.PointerObject][]): Uint8Array {
  const bytes = new Uint8Array(16 * args.length);
  const view = new DataView(bytes.buffer);
  args.forEach(([arg, mem], i) => {
    view.setInt32(16 * i, arg, true);
    view.setBigUint64(16 * i + 8, BigInt(Deno.UnsafePointer.value(mem)), true);
  });
  return bytes;
}

/** The wasm-heap views one execution reads and writes, by role. */
export interface ConvBuffers {
  /** forward: x, filter, bias (optional), y. */
  readonly x?: Float32Array;
  readonly filter?: Float32Array;
  readonly bias?: Float32Array;
  readonly y?: Float32Array;
  /** inputGradient: dy, filter -> dx; filterGradient: x, dy -> dFilter. */
  readonly dy?: Float32Array;
  readonly dx?: Float32Array;
  readonly dFilter?: Float32Array;
}

/**
 * One convolution for one geometry, built once: the oneDNN primitive, its user-layout memory
 * objects, and a filter reorder when oneDNN's kernel wants a blocked filter layout.
 *
 * @example
 * ```ts
 * const conv = new ConvPrimitive(dnnl, "forward", geometry, { bias: true, activation: "relu" });
 * conv.execute({ x, filter, bias, y }); // Float32Array views of the wasm heap
 * ```
 */
export class ConvPrimitive {
  /** oneDNN's name of the kernel it chose, e.g. "brg:avx512_core" or "jit:avx512_core". */
  readonly implementation: string;
  readonly #dnnl: Dnnl;
  readonly #kind: ConvKind;
  readonly #main: Deno.PointerObject;
  readonly #mems: Record<string, Deno.PointerObject> = {};
  readonly #mainArgs: Uint8Array;
  readonly #reorder?: { prim: Deno.PointerObject; args: Uint8Array };

  constructor(
    dnnl: Dnnl,
    kind: ConvKind,
    g: ConvGeometry,
    fused: { bias?: boolean; activation?: string; training?: boolean } = {},
  ) {
    this.#dnnl = dnnl;
    this.#kind = kind;
    const lib = dnnl.lib;
    const src = memoryDesc(lib, [g.batch, g.inChannels, g.inHeight, g.inWidth], TAG_NHWC);
    const dst = memoryDesc(lib, [g.batch, g.outChannels, g.outHeight, g.outWidth], TAG_NHWC);
    const wShape = [g.outChannels, g.inChannels, g.filterHeight, g.filterWidth];
    const userW = memoryDesc(lib, wShape, TAG_HWIO);
    const anyW = memoryDesc(lib, wShape, TAG_ANY);
    const bias = fused.bias ? memoryDesc(lib, [g.outChannels], TAG_A) : new Uint8Array(MD_BYTES);
    const strides = dims(g.strides), dilates = dims(g.dilations.map((d) => d - 1));
    const padL = dims(g.padBefore), padR = dims(g.padAfter);

    const forwardDesc = (prop: number) => {
      const op = new Uint8Array(OP_DESC_BYTES);
      check(
        lib.dnnl_dilated_convolution_forward_desc_init(
          op,
          prop,
          CONVOLUTION_DIRECT,
          src,
          anyW,
          bias,
          dst,
          strides,
          dilates,
          padL,
          padR,
        ),
        "convolution forward desc",
      );
      return op;
    };
    const primDesc = (op: Uint8Array, attr: Deno.PointerValue, hint: Deno.PointerValue) =>
      dnnl.handle(
        (out) => lib.dnnl_primitive_desc_create(out, op, attr, dnnl.engine, hint),
        "primitive desc",
      );

    let pd: Deno.PointerObject;
    let hint: Deno.PointerObject | undefined;
    if (kind === "forward") {
      const act = activationPostOp(fused.activation);
      if (act === undefined) throw new Error(`oneDNN: no post-op for ${fused.activation}`);
      let attr: Deno.PointerObject | null = null;
      if (act) {
        attr = dnnl.handle((out) => lib.dnnl_primitive_attr_create(out), "attr");
        const ops = dnnl.handle((out) => lib.dnnl_post_ops_create(out), "post ops");
        check(lib.dnnl_post_ops_append_eltwise(ops, 1, act[0], act[1], act[2]), "post op");
        check(lib.dnnl_primitive_attr_set_post_ops(attr, ops), "set post ops");
        lib.dnnl_post_ops_destroy(ops);
      }
      pd = primDesc(forwardDesc(fused.training ? FORWARD_TRAINING : FORWARD_INFERENCE), attr, null);
      if (attr) lib.dnnl_primitive_attr_destroy(attr);
    } else {
      hint = primDesc(forwardDesc(FORWARD_TRAINING), null, null);
      const op = new Uint8Array(OP_DESC_BYTES);
      if (kind === "inputGradient") {
        check(
          lib.dnnl_dilated_convolution_backward_data_desc_init(
            op,
            CONVOLUTION_DIRECT,
            src,
            anyW,
            dst,
            strides,
            dilates,
            padL,
            padR,
          ),
          "convolution backward data desc",
        );
      } else {
        check(
          lib.dnnl_dilated_convolution_backward_weights_desc_init(
            op,
            CONVOLUTION_DIRECT,
            src,
            anyW,
            new Uint8Array(MD_BYTES),
            dst,
            strides,
            dilates,
            padL,
            padR,
          ),
          "convolution backward weights desc",
        );
      }
      pd = primDesc(op, null, hint);
    }
    const info = new BigUint64Array(1);
    check(lib.dnnl_primitive_desc_query(pd, QUERY_IMPL_INFO, 0, info), "impl info");
    const name = Deno.UnsafePointer.create(info[0]!);
    this.implementation = name ? new Deno.UnsafePointerView(name).getCString() : "?";
    this.#main = dnnl.handle((out) => lib.dnnl_primitive_create(out, pd), "primitive");

    const mem = (md: Deno.PointerValue | Uint8Array, handle: Deno.PointerValue) => {
      const p = md instanceof Uint8Array ? Deno.UnsafePointer.of(md) : md;
      return dnnl.handle((out) => lib.dnnl_memory_create(out, p, dnnl.engine, handle), "memory");
    };
    const none = null, allocate = Deno.UnsafePointer.create(0xffffffffffffffffn);
    // The filter as oneDNN's kernel wants it, and a reorder from/to the user's hwio filter.
    const wantedW = lib.dnnl_primitive_desc_query_md(
      pd,
      kind === "filterGradient" ? QUERY_DIFF_WEIGHTS_MD : QUERY_WEIGHTS_MD,
      0,
    );
    const userWMem = mem(userW, none);
    let kernelWMem = userWMem;
    if (!lib.dnnl_memory_desc_equal(userW, wantedW)) {
      kernelWMem = mem(wantedW, allocate);
      const [from, to] = kind === "filterGradient"
        ? [wantedW, Deno.UnsafePointer.of(userW)]
        : [Deno.UnsafePointer.of(userW), wantedW];
      const rpd = dnnl.handle(
        (out) =>
          lib.dnnl_reorder_primitive_desc_create(out, from, dnnl.engine, to, dnnl.engine, null),
        "reorder desc",
      );
      const prim = dnnl.handle((out) => lib.dnnl_primitive_create(out, rpd), "reorder");
      lib.dnnl_primitive_desc_destroy(rpd);
      const [a, b] = kind === "filterGradient" ? [kernelWMem, userWMem] : [userWMem, kernelWMem];
      this.#reorder = { prim, args: execArgs([[ARG_SRC, a], [ARG_DST, b]]) };
    }
    this.#mems.filter = userWMem;
    this.#mems.src = mem(src, none);
    this.#mems.dst = mem(dst, none);
    const args: [number, Deno.PointerObject][] = [];
    if (kind === "forward") {
      args.push([ARG_SRC, this.#mems.src], [ARG_WEIGHTS, kernelWMem], [ARG_DST, this.#mems.dst]);
      if (fused.bias) {
        this.#mems.bias = mem(bias, none);
        args.push([ARG_BIAS, this.#mems.bias]);
      }
    } else if (kind === "inputGradient") {
      args.push(
        [ARG_DIFF_DST, this.#mems.dst],
        [ARG_WEIGHTS, kernelWMem],
        [ARG_DIFF_SRC, this.#mems.src],
      );
    } else {
      args.push(
        [ARG_SRC, this.#mems.src],
        [ARG_DIFF_DST, this.#mems.dst],
        [ARG_DIFF_WEIGHTS, kernelWMem],
      );
    }
    this.#mainArgs = execArgs(args);
    lib.dnnl_primitive_desc_destroy(pd);
    if (hint) lib.dnnl_primitive_desc_destroy(hint);
  }

  /** Runs the convolution on views of the wasm heap (taken after every allocation). */
  execute(b: ConvBuffers): void {
    const lib = this.#dnnl.lib;
    const set = (mem: Deno.PointerObject | undefined, view: Float32Array | undefined) => {
      if (!mem || !view) throw new Error(`oneDNN ${this.#kind}: a buffer is missing`);
      check(lib.dnnl_memory_set_data_handle(mem, view), "set data handle");
    };
    const stream = this.#dnnl.stream;
    if (this.#kind === "forward") {
      set(this.#mems.src, b.x), set(this.#mems.filter, b.filter), set(this.#mems.dst, b.y);
      if (this.#mems.bias) set(this.#mems.bias, b.bias);
    } else if (this.#kind === "inputGradient") {
      set(this.#mems.dst, b.dy), set(this.#mems.filter, b.filter), set(this.#mems.src, b.dx);
    } else {
      set(this.#mems.src, b.x), set(this.#mems.dst, b.dy), set(this.#mems.filter, b.dFilter);
    }
    const run = (prim: Deno.PointerObject, args: Uint8Array) =>
      check(lib.dnnl_primitive_execute(prim, stream, args.length / 16, args), "execute");
    if (this.#reorder && this.#kind !== "filterGradient") {
      run(this.#reorder.prim, this.#reorder.args);
    }
    run(this.#main, this.#mainArgs);
    if (this.#reorder && this.#kind === "filterGradient") {
      run(this.#reorder.prim, this.#reorder.args);
    }
    check(lib.dnnl_stream_wait(stream), "stream wait");
  }
}
