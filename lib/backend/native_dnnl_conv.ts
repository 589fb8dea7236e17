/**
 * One oneDNN convolution (forward with fused bias and activation, input gradient or filter
 * gradient) for one geometry, built once and executed on pointers into the wasm heap:
 * activations stay NHWC and filters `[kh, kw, Cin, Cout]` (oneDNN's `hwio`). The filter (or its
 * gradient) is reordered to and from the blocked layout oneDNN's AVX-512/AVX2 kernels want, in a
 * buffer oneDNN owns; filters are small.
 *
 * @module
 */

import {
  activationPostOp,
  check,
  dims,
  DNNL,
  type Dnnl,
  execArgs,
  memoryDesc,
} from "./native_dnnl.ts";

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
    const src = memoryDesc(lib, [g.batch, g.inChannels, g.inHeight, g.inWidth], DNNL.TAG_NHWC);
    const dst = memoryDesc(lib, [g.batch, g.outChannels, g.outHeight, g.outWidth], DNNL.TAG_NHWC);
    const wShape = [g.outChannels, g.inChannels, g.filterHeight, g.filterWidth];
    const userW = memoryDesc(lib, wShape, DNNL.TAG_HWIO);
    const anyW = memoryDesc(lib, wShape, DNNL.TAG_ANY);
    const bias = fused.bias
      ? memoryDesc(lib, [g.outChannels], DNNL.TAG_A)
      : new Uint8Array(DNNL.MD_BYTES);
    const strides = dims(g.strides), dilates = dims(g.dilations.map((d) => d - 1));
    const padL = dims(g.padBefore), padR = dims(g.padAfter);

    const forwardDesc = (prop: number) => {
      const op = new Uint8Array(DNNL.OP_DESC_BYTES);
      check(
        lib.dnnl_dilated_convolution_forward_desc_init(
          op,
          prop,
          DNNL.CONVOLUTION_DIRECT,
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
      pd = primDesc(
        forwardDesc(fused.training ? DNNL.FORWARD_TRAINING : DNNL.FORWARD_INFERENCE),
        attr,
        null,
      );
      if (attr) lib.dnnl_primitive_attr_destroy(attr);
    } else {
      hint = primDesc(forwardDesc(DNNL.FORWARD_TRAINING), null, null);
      const op = new Uint8Array(DNNL.OP_DESC_BYTES);
      if (kind === "inputGradient") {
        check(
          lib.dnnl_dilated_convolution_backward_data_desc_init(
            op,
            DNNL.CONVOLUTION_DIRECT,
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
            DNNL.CONVOLUTION_DIRECT,
            src,
            anyW,
            new Uint8Array(DNNL.MD_BYTES),
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
    check(lib.dnnl_primitive_desc_query(pd, DNNL.QUERY_IMPL_INFO, 0, info), "impl info");
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
      kind === "filterGradient" ? DNNL.QUERY_DIFF_WEIGHTS_MD : DNNL.QUERY_WEIGHTS_MD,
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
      this.#reorder = { prim, args: execArgs([[DNNL.ARG_SRC, a], [DNNL.ARG_DST, b]]) };
    }
    this.#mems.filter = userWMem;
    this.#mems.src = mem(src, none);
    this.#mems.dst = mem(dst, none);
    const args: [number, Deno.PointerObject][] = [];
    if (kind === "forward") {
      args.push([DNNL.ARG_SRC, this.#mems.src], [DNNL.ARG_WEIGHTS, kernelWMem], [
        DNNL.ARG_DST,
        this.#mems.dst,
      ]);
      if (fused.bias) {
        this.#mems.bias = mem(bias, none);
        args.push([DNNL.ARG_BIAS, this.#mems.bias]);
      }
    } else if (kind === "inputGradient") {
      args.push(
        [DNNL.ARG_DIFF_DST, this.#mems.dst],
        [DNNL.ARG_WEIGHTS, kernelWMem],
        [DNNL.ARG_DIFF_SRC, this.#mems.src],
      );
    } else {
      args.push(
        [DNNL.ARG_SRC, this.#mems.src],
        [DNNL.ARG_DIFF_DST, this.#mems.dst],
        [DNNL.ARG_DIFF_WEIGHTS, kernelWMem],
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
