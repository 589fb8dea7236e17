/**
 * HDF5 through h5wasm: read numeric and string datasets with their shapes, write numeric ones.
 * Errors name the file and the field.
 *
 * @module
 */

import fs from "node:fs";
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

/**
 * The file size an HDF5 superblock declares (its base address plus end-of-file address), or
 * undefined when the head holds no superblock this reads (an unknown version). A file shorter
 * than this was cut short.
 *
 * @example
 * ```ts
 * declaredHdf5Size(head); // 31760
 * ```
 */
export function declaredHdf5Size(head: Uint8Array): number | undefined {
  const at = [0, 512, 1024, 2048].find((o) => SIGNATURE.every((b, i) => head[o + i] === b));
  if (at === undefined) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = head[at + 8];
  let offsets: number | undefined, base: number, eof: number;
  if (version === 0 || version === 1) {
    offsets = head[at + 13];
    base = at + (version === 0 ? 24 : 28);
    eof = base + 2 * (offsets ?? 0);
  } else if (version === 2 || version === 3) {
    offsets = head[at + 9];
    base = at + 12;
    eof = base + 2 * (offsets ?? 0);
  } else return undefined;
  if (offsets !== 8 && offsets !== 4) return undefined;
  if (eof + offsets > head.length) return undefined;
  const read = (o: number) =>
    offsets === 8 ? Number(view.getBigUint64(o, true)) : view.getUint32(o, true);
  const size = read(base) + read(eof);
  // All-ones is HDF5's "undefined address".
  return Number.isSafeInteger(size) && size < 2 ** 52 ? size : undefined;
}

/**
 * Runs `fn` with writes to stderr (fd 2) through node:fs held back: h5wasm's HDF5 prints dozens
 * of HDF5-DIAG lines for a damaged file before throwing, and the caller reports the damage in
 * one line instead. When `fn` succeeds, the held-back text is written after all.
 */
function withQuietHdf5<T>(fn: () => T): T {
  const original = fs.writeSync;
  const held: Uint8Array[] = [];
  const fsw = fs as unknown as { writeSync: (fd: number, ...rest: unknown[]) => number };
  fsw.writeSync = (fd: number, ...rest: unknown[]) => {
    if (fd !== 2) return (original as (fd: number, ...r: unknown[]) => number)(fd, ...rest);
    const [buffer, offset = 0, length] = rest as [Uint8Array, number?, number?];
    const n = typeof buffer === "string"
      ? new TextEncoder().encode(buffer).length
      : length ?? buffer.length - offset;
    if (typeof buffer !== "string") held.push(buffer.slice(offset, offset + n));
    // The whole length counts as written: a short count makes the caller retry forever.
    return n;
  };
  try {
    const result = fn();
    fsw.writeSync = original as typeof fsw.writeSync;
    for (const chunk of held) Deno.stderr.writeSync(chunk);
    return result;
  } finally {
    fsw.writeSync = original as typeof fsw.writeSync;
  }
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
  const declared = declaredHdf5Size(head);
  const actual = (await Deno.stat(path)).size;
  if (declared !== undefined && actual < declared) {
    throw new KitError(
      `${path}: truncated HDF5 file (${actual} bytes, its header says ${declared}); ` +
        `download or copy it again`,
    );
  }
  // The Node build of h5wasm reads the real file system directly.
  const values = new Map<string, { shape: number[]; value: unknown }>();
  try {
    withQuietHdf5(() => {
      const file = new lib.File(resolve(path), "r");
      try {
        for (const key of file.keys()) {
          const d = file.get(key);
          if (d instanceof lib.Dataset) {
            values.set(key, { shape: [...(d.shape ?? [])], value: d.value });
          }
        }
      } finally {
        file.close();
      }
    });
  } catch (e) {
    throw new KitError(
      `${path}: damaged HDF5 file, cannot be read (${(e as Error).message}); ` +
        `download or copy it again`,
    );
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
