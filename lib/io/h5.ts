/**
 * HDF5 through h5wasm: read numeric and string datasets with their shapes, write numeric ones.
 * Errors name the file and the field.
 *
 * @module
 */

import h5wasm from "h5wasm";
import { resolve } from "@std/path";
import { KitError } from "./errors.ts";
import type { NdArray } from "./ndarray.ts";

let ready: Promise<unknown> | undefined;

async function init(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Whether bytes start an HDF5 file: the signature sits at offset 0, 512, 1024 or 2048.
 *
 * @example
 * ```ts
 * hasHdf5Signature(await Deno.readFile("valid.h5")); // true
 * ```
 */
export function hasHdf5Signature(bytes: Uint8Array): boolean {
  return [0, 512, 1024, 2048].some((o) => SIGNATURE.every((b, i) => bytes[o + i] === b));
}

/** An open HDF5 file's datasets, read eagerly into memory. */
export interface H5Contents {
  readonly path: string;
  readonly keys: readonly string[];
  /** A numeric dataset; throws a KitError naming the file and field when absent or not numeric. */
  numeric(field: string): NdArray;
  /** A string dataset (e.g. `imgname`); throws a KitError when absent or not strings. */
  strings(field: string): string[];
  has(field: string): boolean;
}

/**
 * Reads an HDF5 file's top-level datasets.
 *
 * @example
 * ```ts
 * const h5 = await readH5("data/mpii/annot/valid.h5");
 * h5.numeric("part").shape; // [2958, 16, 2]
 * h5.strings("imgname")[0]; // "005808361.jpg"
 * ```
 */
export async function readH5(path: string): Promise<H5Contents> {
  const lib = await init();
  let head: Uint8Array;
  try {
    using f = await Deno.open(path);
    head = new Uint8Array(2056);
    const n = await f.read(head);
    head = head.subarray(0, n ?? 0);
  } catch (e) {
    throw new KitError(`${path}: cannot read (${(e as Error).message})`);
  }
  // h5wasm neither throws nor stays quiet on a non-HDF5 file, so check the signature first.
  if (!hasHdf5Signature(head)) throw new KitError(`${path}: not an HDF5 file (no HDF5 signature)`);
  // The Node build of h5wasm reads the real file system directly.
  let file: InstanceType<typeof lib.File> | undefined;
  const values = new Map<string, { shape: number[]; value: unknown }>();
  try {
    try {
      file = new lib.File(resolve(path), "r");
    } catch (e) {
      throw new KitError(`${path}: not a readable HDF5 file (${(e as Error).message})`);
    }
    for (const key of file.keys()) {
      const d = file.get(key);
      if (d instanceof lib.Dataset) {
        values.set(key, { shape: [...(d.shape ?? [])], value: d.value });
      }
    }
  } finally {
    file?.close();
  }
  const get = (field: string) => {
    const v = values.get(field);
    if (!v) {
      throw new KitError(
        `${path}: missing field "${field}" (has: ${[...values.keys()].join(", ")})`,
      );
    }
    return v;
  };
  return {
    path,
    keys: [...values.keys()],
    has: (field) => values.has(field),
    numeric(field) {
      const { shape, value } = get(field);
      if (typeof value === "number" || typeof value === "bigint") {
        return { shape: [], data: Float64Array.of(Number(value)) };
      }
      if (!ArrayBuffer.isView(value) || value instanceof DataView) {
        throw new KitError(`${path}: field "${field}" is not numeric`);
      }
      const src = value as unknown as ArrayLike<number | bigint>;
      const data = new Float64Array(src.length);
      for (let i = 0; i < src.length; i++) data[i] = Number(src[i]);
      return { shape, data };
    },
    strings(field) {
      const { value } = get(field);
      const list = typeof value === "string" ? [value] : value;
      if (!Array.isArray(list) || !list.every((s) => typeof s === "string")) {
        throw new KitError(`${path}: field "${field}" is not a list of strings`);
      }
      return list as string[];
    },
  };
}

/**
 * Writes numeric datasets (float64) and string datasets to a new HDF5 file.
 *
 * @example
 * ```ts
 * await writeH5("preds.h5", { preds: { shape: [n, 16, 2], data } });
 * ```
 */
export async function writeH5(
  path: string,
  datasets: Record<string, NdArray | string[]>,
): Promise<void> {
  const lib = await init();
  const file = new lib.File(resolve(path), "w");
  try {
    for (const [key, value] of Object.entries(datasets)) {
      if (Array.isArray(value)) file.create_dataset({ name: key, data: value });
      else {file.create_dataset({
          name: key,
          data: value.data,
          shape: [...value.shape],
          dtype: "<d",
        });}
    }
  } finally {
    file.close();
  }
}
