/**
 * MATLAB v5 .mat files through mat-for-js (read only; the kit's tests write their own small
 * files with `mat_write.ts`).
 *
 * @module
 */

import { read } from "mat-for-js";
import { KitError } from "./errors.ts";
import { fromNested, type NdArray } from "./ndarray.ts";
import { decodeMatNumeric, type MatVariable } from "./mat_v5.ts";

/** The variables of a .mat file. */
export interface MatContents {
  readonly path: string;
  readonly keys: readonly string[];
  /** A numeric variable as a row-major NdArray in MATLAB's index order. */
  numeric(field: string): NdArray;
  has(field: string): boolean;
  /** The raw value as mat-for-js returns it (cell arrays, strings, structs). */
  raw(field: string): unknown;
}

/**
 * Reads a MATLAB v5 file. Numeric variables keep MATLAB's axis order: `pos_gt_src` (16x2xN in
 * MATLAB) comes back with shape [16, 2, N].
 *
 * @example
 * ```ts
 * const mat = await readMat("detections_our_format.mat");
 * mat.numeric("pos_gt_src").shape; // [16, 2, 2958]
 * ```
 */
export async function readMat(path: string): Promise<MatContents> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new KitError(`${path}: cannot read (${(e as Error).message})`);
  }
  let data: Record<string, unknown>;
  try {
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    data = (read(buffer as ArrayBuffer) as { data: Record<string, unknown> }).data;
  } catch (e) {
    throw new KitError(`${path}: not a readable MATLAB v5 file (${(e as Error).message})`);
  }
  if (typeof data !== "object" || data === null) {
    throw new KitError(`${path}: not a readable MATLAB v5 file (no variables)`);
  }
  // mat-for-js scrambles arrays of 3+ dimensions, so numeric variables come from our decoder.
  let numeric: Map<string, MatVariable>;
  try {
    numeric = await decodeMatNumeric(bytes);
  } catch (e) {
    throw new KitError(`${path}: not a readable MATLAB v5 file (${(e as Error).message})`);
  }
  const get = (field: string) => {
    if (!(field in data)) {
      throw new KitError(
        `${path}: missing field "${field}" (has: ${Object.keys(data).join(", ")})`,
      );
    }
    return data[field];
  };
  return {
    path,
    keys: Object.keys(data),
    has: (field) => field in data,
    raw: get,
    numeric: (field) => {
      const decoded = numeric.get(field);
      if (decoded?.kind === "numeric") return decoded.array;
      const v = get(field);
      return typeof v === "number"
        ? { shape: [], data: Float64Array.of(v) }
        : fromNested(v, path, field);
    },
  };
}
