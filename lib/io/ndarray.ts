/**
 * A plain row-major n-dimensional array, the common currency of the file readers.
 *
 * @module
 */

import { KitError } from "./errors.ts";

/** Row-major numbers with their shape: element `[i, j, k]` is `data[(i * s1 + j) * s2 + k]`. */
export interface NdArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/**
 * Checks an array's shape against an expected pattern (`-1` = any size) and throws a KitError
 * naming the file and field otherwise.
 *
 * @example
 * ```ts
 * expectShape(part, [-1, 16, 2], "valid.h5", "part");
 * ```
 */
export function expectShape(
  array: NdArray,
  pattern: readonly number[],
  file: string,
  field: string,
): void {
  const ok = array.shape.length === pattern.length &&
    pattern.every((p, i) => p === -1 || p === array.shape[i]);
  if (!ok) {
    const want = pattern.map((p) => (p === -1 ? "N" : String(p))).join(", ");
    throw new KitError(
      `${file}: field "${field}" has shape [${array.shape.join(", ")}], expected [${want}]`,
    );
  }
}

/**
 * Flattens nested JavaScript arrays (as MATLAB readers return them) into an NdArray.
 * Throws a KitError when the nesting is ragged or holds non-numbers.
 *
 * @example
 * ```ts
 * fromNested([[1, 2], [3, 4]], "a.mat", "x"); // { shape: [2, 2], data: [1, 2, 3, 4] }
 * ```
 */
export function fromNested(value: unknown, file: string, field: string): NdArray {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe) || ArrayBuffer.isView(probe)) {
    const len = (probe as ArrayLike<unknown>).length;
    shape.push(len);
    if (len === 0) break;
    probe = (probe as ArrayLike<unknown>)[0];
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(size);
  let k = 0;
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      const n = typeof v === "bigint" ? Number(v) : v;
      if (typeof n !== "number") {
        throw new KitError(`${file}: field "${field}" holds a ${typeof v}, expected numbers`);
      }
      data[k++] = n;
      return;
    }
    const arr = v as ArrayLike<unknown>;
    if (!(Array.isArray(v) || ArrayBuffer.isView(v)) || arr.length !== shape[depth]) {
      throw new KitError(
        `${file}: field "${field}" is not a regular array (ragged at depth ${depth})`,
      );
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], depth + 1);
  };
  walk(value, 0);
  return { shape, data };
}

/**
 * Reorders the axes of an NdArray: `perm[i]` is the source axis of output axis `i`.
 *
 * @example
 * ```ts
 * transpose(posGt, [2, 0, 1]); // 16x2xN -> Nx16x2
 * ```
 */
export function transpose(a: NdArray, perm: readonly number[]): NdArray {
  const n = a.shape.length;
  if (perm.length !== n || new Set(perm).size !== n) throw new Error(`bad permutation [${perm}]`);
  const shape = perm.map((p) => a.shape[p]!);
  const srcStrides = new Array<number>(n);
  let s = 1;
  for (let i = n - 1; i >= 0; i--) {
    srcStrides[i] = s;
    s *= a.shape[i]!;
  }
  const out = new Float64Array(a.data.length);
  const idx = new Array<number>(n).fill(0);
  for (let k = 0; k < out.length; k++) {
    let src = 0;
    for (let i = 0; i < n; i++) src += idx[i]! * srcStrides[perm[i]!]!;
    out[k] = a.data[src]!;
    for (let i = n - 1; i >= 0; i--) {
      if (++idx[i]! < shape[i]!) break;
      idx[i] = 0;
    }
  }
  return { shape, data: out };
}
