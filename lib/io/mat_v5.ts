/**
 * Numeric arrays of MATLAB v5 files, decoded by the kit itself.
 *
 * mat-for-js (used by `mat.ts` for strings, cells and structs) rebuilds arrays of three or more
 * dimensions with a wrong column-major index (`i0 + i1*d0 + i2*d1` instead of `... + i2*d0*d1`),
 * which scrambles `pos_gt_src` (16x2xN) and every other 3-D variable. This module walks the file's
 * data elements and decodes the numeric matrices (double, single, integer and logical classes,
 * compressed or not, either byte order) with the right index.
 *
 * @module
 */

import type { NdArray } from "./ndarray.ts";

const MI_MATRIX = 14;
const MI_COMPRESSED = 15;
/** mxCLASS ids of the numeric classes (double, single, int8 .. uint64). */
const NUMERIC_CLASSES = new Set([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
const COMPLEX_FLAG = 0x800;

/** A numeric variable found in the file, or why a variable is not one. */
export type MatVariable =
  | { readonly kind: "numeric"; readonly array: NdArray }
  | { readonly kind: "other"; readonly why: string };

async function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("deflate"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

interface Element {
  type: number;
  /** The payload, without tag or padding. */
  data: Uint8Array;
  /** Offset of the next element. */
  next: number;
}

function readElement(bytes: Uint8Array, at: number, le: boolean): Element {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (at + 8 > bytes.length) throw new Error(`truncated data element at byte ${at}`);
  const first = view.getUint32(at, le);
  if (first >>> 16 !== 0) {
    // Small data element: type and length share the first 4 bytes, data fills the next 4.
    const type = first & 0xffff;
    const length = first >>> 16;
    if (length > 4) throw new Error(`bad small data element at byte ${at}`);
    return { type, data: bytes.subarray(at + 4, at + 4 + length), next: at + 8 };
  }
  const type = first;
  const length = view.getUint32(at + 4, le);
  const end = at + 8 + length;
  if (end > bytes.length) throw new Error(`data element at byte ${at} runs past the end`);
  // Compressed elements are not padded; everything else is padded to 8 bytes.
  const next = type === MI_COMPRESSED ? end : at + 8 + Math.ceil(length / 8) * 8;
  return { type, data: bytes.subarray(at + 8, end), next };
}

/** Decodes a payload of MATLAB data type `type` into numbers. */
function decodeNumbers(type: number, data: Uint8Array, le: boolean): Float64Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const spec: Record<number, [number, (o: number) => number]> = {
    1: [1, (o) => view.getInt8(o)],
    2: [1, (o) => view.getUint8(o)],
    3: [2, (o) => view.getInt16(o, le)],
    4: [2, (o) => view.getUint16(o, le)],
    5: [4, (o) => view.getInt32(o, le)],
    6: [4, (o) => view.getUint32(o, le)],
    7: [4, (o) => view.getFloat32(o, le)],
    9: [8, (o) => view.getFloat64(o, le)],
    12: [8, (o) => Number(view.getBigInt64(o, le))],
    13: [8, (o) => Number(view.getBigUint64(o, le))],
  };
  const entry = spec[type];
  if (!entry) throw new Error(`unsupported MATLAB data type ${type} for numbers`);
  const [size, get] = entry;
  const out = new Float64Array(Math.floor(data.length / size));
  for (let i = 0; i < out.length; i++) out[i] = get(i * size);
  return out;
}

/** Column-major (MATLAB) values to a row-major NdArray with the same index order. */
function fromColumnMajor(dims: readonly number[], values: Float64Array): NdArray {
  const out = new Float64Array(values.length);
  const n = dims.length;
  const rowStrides = new Array<number>(n);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    rowStrides[i] = s;
    s *= dims[i]!;
  }
  const idx = new Array<number>(n).fill(0);
  for (let k = 0; k < values.length; k++) {
    let dst = 0;
    for (let i = 0; i < n; i++) dst += idx[i]! * rowStrides[i]!;
    out[dst] = values[k]!;
    for (let i = 0; i < n; i++) {
      if (++idx[i]! < dims[i]!) break;
      idx[i] = 0;
    }
  }
  // Like mat-for-js, a 1xN or Nx1 matrix reads as a vector of N.
  const shape = n === 2 && (dims[0] === 1 || dims[1] === 1)
    ? [dims[0] === 1 ? dims[1]! : dims[0]!]
    : [...dims];
  return { shape, data: out };
}

function decodeMatrix(data: Uint8Array, le: boolean): { name: string; variable: MatVariable } {
  const flags = readElement(data, 0, le);
  const flagView = new DataView(flags.data.buffer, flags.data.byteOffset, flags.data.byteLength);
  const flagWord = flagView.getUint32(0, le);
  const mxClass = flagWord & 0xff;
  const dimsEl = readElement(data, flags.next, le);
  const dims = Array.from(decodeNumbers(dimsEl.type, dimsEl.data, le));
  const nameEl = readElement(data, dimsEl.next, le);
  const name = new TextDecoder().decode(nameEl.data);
  if (!NUMERIC_CLASSES.has(mxClass)) {
    return { name, variable: { kind: "other", why: `MATLAB class ${mxClass} is not numeric` } };
  }
  if (flagWord & COMPLEX_FLAG) {
    return { name, variable: { kind: "other", why: "complex numbers are not supported" } };
  }
  const real = readElement(data, nameEl.next, le);
  const values = decodeNumbers(real.type, real.data, le);
  const numel = dims.reduce((a, b) => a * b, 1);
  if (values.length !== numel) {
    throw new Error(`variable "${name}": ${values.length} values for dimensions ${dims.join("x")}`);
  }
  return { name, variable: { kind: "numeric", array: fromColumnMajor(dims, values) } };
}

/**
 * Decodes the top-level variables of a MATLAB v5 file: numeric matrices as row-major NdArrays
 * in MATLAB's index order (16x2xN gives shape `[16, 2, N]`, element `[j, c, n]`), other classes
 * (char, cell, struct, sparse) as `kind: "other"`. Throws an Error when the bytes are not a
 * MATLAB v5 file.
 *
 * @example
 * ```ts
 * const vars = await decodeMatNumeric(await Deno.readFile("detections_our_format.mat"));
 * vars.get("pos_gt_src"); // { kind: "numeric", array: { shape: [16, 2, 2958], data } }
 * ```
 */
export async function decodeMatNumeric(bytes: Uint8Array): Promise<Map<string, MatVariable>> {
  if (bytes.length < 128) throw new Error("shorter than a MATLAB v5 header");
  const indicator = String.fromCharCode(bytes[126]!, bytes[127]!);
  if (indicator !== "IM" && indicator !== "MI") throw new Error("no MATLAB v5 endian indicator");
  const le = indicator === "IM";
  const out = new Map<string, MatVariable>();
  const walk = async (buf: Uint8Array, start: number) => {
    let at = start;
    while (at + 8 <= buf.length) {
      const el = readElement(buf, at, le);
      if (el.type === MI_COMPRESSED) await walk(await inflate(el.data), 0);
      else if (el.type === MI_MATRIX) {
        const { name, variable } = decodeMatrix(el.data, le);
        out.set(name, variable);
      }
      at = el.next;
    }
  };
  await walk(bytes, 128);
  return out;
}
