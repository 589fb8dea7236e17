/**
 * Exporting a model's predictions in the `preds` layout (N x 16 x 2 image coordinates, MPII joint
 * order) that community tools score: pytorch-pose's eval_PCKh.py loads `preds` from a .mat,
 * pose-hg-train writes it to .h5, and JSON suits everything else. `deno task eval-mpii` reads all
 * three back.
 *
 * @module
 */

import { dirname, extname } from "@std/path";
import { KitError, writeFileAtomic, writeH5, writeMat } from "../io/mod.ts";
import { NUM_JOINTS } from "../skeleton/mod.ts";
import type { EvalFileFormat } from "./mpii_files.ts";

/**
 * The export format for a file name: `.h5`/`.hdf5`, `.json` or `.mat`.
 *
 * @example
 * ```ts
 * formatOfPath("runs/a/preds.h5"); // "h5"
 * ```
 */
export function formatOfPath(path: string): EvalFileFormat {
  const ext = extname(path).toLowerCase();
  if (ext === ".h5" || ext === ".hdf5") return "h5";
  if (ext === ".json") return "json";
  if (ext === ".mat") return "mat";
  throw new KitError(`${path}: unknown prediction format "${ext}" (use .h5, .json or .mat)`);
}

/**
 * Predictions `[N, J, 2]` as nested arrays, NaN as null (JSON has no NaN).
 *
 * @example
 * ```ts
 * predictionsToNested(Float64Array.of(1, 2, NaN, 4), 2); // [[[1, 2], [null, 4]]]
 * ```
 */
export function predictionsToNested(
  preds: ArrayLike<number>,
  numJoints: number = NUM_JOINTS,
): (number | null)[][][] {
  if (preds.length % (numJoints * 2) !== 0) {
    throw new Error(`${preds.length} coordinates are not N x ${numJoints} x 2`);
  }
  const n = preds.length / (numJoints * 2);
  const v = (k: number) => (Number.isFinite(preds[k]!) ? preds[k]! : null);
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: numJoints }, (_, j) => {
      const k = (i * numJoints + j) * 2;
      return [v(k), v(k + 1)];
    }));
}

/**
 * Writes predictions `[N, 16, 2]` (image pixels) as `preds` to .h5, .mat or .json, chosen by the
 * file extension. The file appears atomically.
 *
 * @example
 * ```ts
 * await writePredictions("runs/a/preds.mat", estimates.coords); // eval_PCKh.py can load it
 * ```
 */
export async function writePredictions(path: string, preds: ArrayLike<number>): Promise<void> {
  const nested = predictionsToNested(preds, NUM_JOINTS); // validates the size
  const format = formatOfPath(path);
  const array = { shape: [nested.length, NUM_JOINTS, 2], data: Float64Array.from(preds) };
  if (format === "json") await writeFileAtomic(path, JSON.stringify(nested));
  else if (format === "mat") await writeMat(path, { preds: array });
  else {
    // h5wasm writes in place; write to a temporary name and rename so readers never see half.
    await Deno.mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${crypto.randomUUID()}.tmp`;
    try {
      await writeH5(tmp, { preds: array });
      await Deno.rename(tmp, path);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  }
}
