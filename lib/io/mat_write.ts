/**
 * A minimal MATLAB v5 (.mat) writer for numeric arrays, so the kit can export predictions in the
 * layout community scripts load (`scipy.io.loadmat(...)["preds"]`) and tests can write their own
 * MATLAB fixtures. Only real double arrays, uncompressed, little-endian: the subset every MATLAB
 * reader accepts. Reading stays with `mat.ts` (mat-for-js).
 *
 * @module
 */

import type { NdArray } from "./ndarray.ts";
import { writeFileAtomic } from "./atomic.ts";

const MI_INT8 = 1;
const MI_INT32 = 5;
const MI_UINT32 = 6;
const MI_DOUBLE = 9;
const MI_MATRIX = 14;
const MX_DOUBLE_CLASS = 6;

/** Bytes of a data element: an 8-byte tag, the payload, zero padding to a multiple of 8. */
function elementSize(payload: number): number {
  return 8 + Math.ceil(payload / 8) * 8;
}

function checkName(name: string): void {
  // MATLAB variable names: a letter, then letters, digits or underscores, at most 63 characters.
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`not a valid MATLAB variable name: "${name}"`);
  }
}

/**
 * Encodes numeric variables as the bytes of a MATLAB v5 file. Each NdArray is given in MATLAB's
 * index order (the order `readMat` returns): a `[16, 2, N]` array is MATLAB's 16x2xN. A 0- or
 * 1-dimensional array is stored as a 1x1 or 1xN matrix, as MATLAB has no vectors.
 *
 * @example
 * ```ts
 * const bytes = encodeMat({ x: { shape: [2, 3], data: Float64Array.of(1, 2, 3, 4, 5, 6) } });
 * // load in MATLAB or scipy: x == [[1, 2, 3], [4, 5, 6]]
 * ```
 */
export function encodeMat(variables: Record<string, NdArray>): Uint8Array {
  const entries = Object.entries(variables);
  let total = 128;
  const sizes = entries.map(([name, a]) => {
    checkName(name);
    const numel = a.shape.reduce((p, s) => p * s, 1);
    if (numel !== a.data.length) {
      throw new Error(
        `variable "${name}": shape [${a.shape}] needs ${numel} values, got ${a.data.length}`,
      );
    }
    const dims = a.shape.length === 0 ? [1, 1] : a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
    const body = elementSize(8) + elementSize(4 * dims.length) + elementSize(name.length) +
      elementSize(8 * numel);
    total += 8 + body;
    return { dims, body };
  });
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  const text = `MATLAB 5.0 MAT-file, written by posekit, ${new Date().toUTCString()}`;
  bytes.fill(0x20, 0, 116);
  bytes.set(new TextEncoder().encode(text.slice(0, 116)), 0);
  // Bytes 116..123: no subsystem data. Then version 0x0100 and the endian indicator "IM".
  view.setUint16(124, 0x0100, true);
  bytes[126] = 0x49; // "I"
  bytes[127] = 0x4d; // "M"
  let at = 128;
  const tag = (type: number, length: number) => {
    view.setUint32(at, type, true);
    view.setUint32(at + 4, length, true);
    at += 8;
  };
  const pad = () => {
    at = Math.ceil(at / 8) * 8;
  };
  entries.forEach(([name, a], k) => {
    const { dims, body } = sizes[k]!;
    tag(MI_MATRIX, body);
    tag(MI_UINT32, 8);
    view.setUint32(at, MX_DOUBLE_CLASS, true); // real, not global, not logical
    at += 8;
    tag(MI_INT32, 4 * dims.length);
    for (const d of dims) {
      view.setInt32(at, d, true);
      at += 4;
    }
    pad();
    tag(MI_INT8, name.length);
    for (let i = 0; i < name.length; i++) bytes[at++] = name.charCodeAt(i);
    pad();
    tag(MI_DOUBLE, 8 * a.data.length);
    // MATLAB stores column-major (first index fastest); NdArray is row-major.
    const strides: number[] = [];
    let s = 1;
    for (let i = a.shape.length - 1; i >= 0; i--) {
      strides[i] = s;
      s *= a.shape[i]!;
    }
    const idx = new Array<number>(a.shape.length).fill(0);
    for (let n = 0; n < a.data.length; n++) {
      let src = 0;
      for (let i = 0; i < idx.length; i++) src += idx[i]! * strides[i]!;
      view.setFloat64(at, a.data[src]!, true);
      at += 8;
      for (let i = 0; i < idx.length; i++) {
        if (++idx[i]! < a.shape[i]!) break;
        idx[i] = 0;
      }
    }
  });
  return bytes;
}

/**
 * Writes numeric variables to a MATLAB v5 file (atomically); see {@link encodeMat}.
 *
 * @example
 * ```ts
 * await writeMat("preds.mat", { preds: { shape: [n, 16, 2], data } });
 * ```
 */
export async function writeMat(path: string, variables: Record<string, NdArray>): Promise<void> {
  await writeFileAtomic(path, encodeMat(variables));
}
