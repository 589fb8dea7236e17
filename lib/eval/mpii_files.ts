/**
 * Reading the files of the MPII evaluation: ground truth in the `detections_our_format.mat`
 * layout or pose-hg-train's `valid.h5`, and predictions as `preds` (Nx16x2, .mat or .h5, as
 * pytorch-pose and pose-hg-train save them), `pos_pred_src` (16x2xN) or a JSON array (Nx16x2).
 * The format is told from the file's bytes, not its name. Every problem is a KitError naming the
 * file and field.
 *
 * @module
 */

import {
  expectShape,
  hasHdf5Signature,
  KitError,
  type NdArray,
  readH5,
  readMat,
  transpose,
} from "../io/mod.ts";
import type { PoseGroundTruth } from "../metrics/mod.ts";
import { HEAD_SIZE_FACTOR } from "../metrics/mod.ts";
import { NUM_JOINTS } from "../skeleton/mod.ts";

/** A file format of the evaluation. */
export type EvalFileFormat = "mat" | "h5" | "json";

/** MPII ground truth with head sizes. */
export interface MpiiGroundTruth extends PoseGroundTruth {
  /** `[N, 16, 2]` image coordinates. */
  readonly coords: Float64Array;
  /** `[N, 16]`: 0 = not annotated, 1 = occluded, 2 = visible (2 for every annotated joint in .mat). */
  readonly visibility: Uint8Array;
  /** `[N]` head sizes (0.6 x head box diagonal). */
  readonly headSizes: Float64Array;
  readonly path: string;
  readonly format: EvalFileFormat;
  /** Whether visibility tells occluded (1) from visible (2); false when only "annotated" is known. */
  readonly hasOcclusion: boolean;
}

/**
 * Tells a file's format from its first bytes: HDF5 signature, MATLAB v5 header, or JSON text.
 *
 * @example
 * ```ts
 * await sniffFormat("valid.h5"); // "h5"
 * ```
 */
export async function sniffFormat(path: string): Promise<EvalFileFormat> {
  let head: Uint8Array;
  try {
    using f = await Deno.open(path);
    const buf = new Uint8Array(2056);
    const n = (await f.read(buf)) ?? 0;
    head = buf.subarray(0, n);
  } catch (e) {
    throw new KitError(`${path}: cannot read (${(e as Error).message})`);
  }
  if (hasHdf5Signature(head)) return "h5";
  const text = new TextDecoder().decode(head.subarray(0, 116));
  if (text.startsWith("MATLAB 5.0 MAT-file")) return "mat";
  if (/^\s*[[{]/.test(text)) return "json";
  throw new KitError(`${path}: neither a MATLAB v5 .mat, an HDF5 file nor JSON`);
}

/** MATLAB drops trailing singleton dimensions: a 16x2x1 array is stored as 16x2. */
function withTrailing(a: NdArray, rank: number): NdArray {
  if (a.shape.length >= rank) return a;
  return { shape: [...a.shape, ...new Array(rank - a.shape.length).fill(1)], data: a.data };
}

function countOf(path: string, fields: Record<string, number>): number {
  const values = Object.values(fields);
  if (values.some((v) => v !== values[0])) {
    const desc = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join(", ");
    throw new KitError(`${path}: fields disagree on the number of people (${desc})`);
  }
  return values[0]!;
}

async function readMatGroundTruth(path: string): Promise<MpiiGroundTruth> {
  const mat = await readMat(path);
  const pos = withTrailing(mat.numeric("pos_gt_src"), 3);
  expectShape(pos, [NUM_JOINTS, 2, -1], path, "pos_gt_src");
  let missing = mat.numeric("jnt_missing");
  // A 16x1 matrix reads as a vector of 16.
  if (missing.shape.length === 1) missing = { shape: [missing.shape[0]!, 1], data: missing.data };
  expectShape(missing, [NUM_JOINTS, -1], path, "jnt_missing");
  const boxes = withTrailing(mat.numeric("headboxes_src"), 3);
  expectShape(boxes, [2, 2, -1], path, "headboxes_src");
  const n = countOf(path, {
    pos_gt_src: pos.shape[2]!,
    jnt_missing: missing.shape[1]!,
    headboxes_src: boxes.shape[2]!,
  });
  const coords = transpose(pos, [2, 0, 1]).data; // [N, 16, 2]
  const miss = transpose(missing, [1, 0]).data; // [N, 16]
  const box = transpose(boxes, [2, 0, 1]).data; // [N, corner, xy]
  const headSizes = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [x1, y1, x2, y2] = [box[4 * i]!, box[4 * i + 1]!, box[4 * i + 2]!, box[4 * i + 3]!];
    headSizes[i] = HEAD_SIZE_FACTOR * Math.hypot(x2 - x1, y2 - y1);
  }
  const visibility = Uint8Array.from(miss, (m) => (m ? 0 : 2));
  return {
    count: n,
    numJoints: NUM_JOINTS,
    coords,
    visibility,
    headSizes,
    path,
    format: "mat",
    hasOcclusion: false,
  };
}

async function readH5GroundTruth(path: string): Promise<MpiiGroundTruth> {
  const h5 = await readH5(path);
  const part = h5.numeric("part");
  expectShape(part, [-1, NUM_JOINTS, 2], path, "part");
  const normalize = h5.numeric("normalize");
  expectShape(normalize, [-1], path, "normalize");
  const fields: Record<string, number> = { part: part.shape[0]!, normalize: normalize.shape[0]! };
  let visible: NdArray | undefined;
  if (h5.has("visible")) {
    visible = h5.numeric("visible");
    expectShape(visible, [-1, NUM_JOINTS], path, "visible");
    fields.visible = visible.shape[0]!;
  }
  const n = countOf(path, fields);
  // pose-hg-train writes (0, 0) for joints that are not annotated; `visible` is occlusion.
  const visibility = new Uint8Array(n * NUM_JOINTS);
  for (let k = 0; k < n * NUM_JOINTS; k++) {
    const annotated = part.data[2 * k] !== 0 || part.data[2 * k + 1] !== 0;
    visibility[k] = !annotated ? 0 : visible && !visible.data[k] ? 1 : 2;
  }
  return {
    count: n,
    numJoints: NUM_JOINTS,
    coords: part.data,
    visibility,
    headSizes: normalize.data,
    path,
    format: "h5",
    hasOcclusion: visible !== undefined,
  };
}

/**
 * Reads MPII ground truth: a .mat with `pos_gt_src` (16x2xN), `jnt_missing` (16xN) and
 * `headboxes_src` (2x2xN), or a pose-hg-train .h5 with `part` (Nx16x2, (0, 0) = not annotated),
 * `normalize` (N head sizes) and optionally `visible` (Nx16 occlusion flags).
 *
 * @example
 * ```ts
 * const gt = await readMpiiGroundTruth("detections_our_format.mat");
 * gt.count; // 2958
 * ```
 */
export async function readMpiiGroundTruth(path: string): Promise<MpiiGroundTruth> {
  const format = await sniffFormat(path);
  if (format === "mat") return readMatGroundTruth(path);
  if (format === "h5") return readH5GroundTruth(path);
  throw new KitError(`${path}: ground truth must be a MATLAB .mat or an HDF5 .h5 file, not JSON`);
}

function parseJsonPredictions(path: string, text: string): NdArray {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new KitError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    if (!("preds" in value)) throw new KitError(`${path}: JSON object has no "preds" field`);
    value = (value as { preds: unknown }).preds;
  }
  if (!Array.isArray(value)) throw new KitError(`${path}: expected a JSON array N x 16 x 2`);
  const n = value.length;
  const data = new Float64Array(n * NUM_JOINTS * 2);
  value.forEach((person: unknown, i) => {
    if (!Array.isArray(person) || person.length !== NUM_JOINTS) {
      const got = Array.isArray(person) ? `${person.length} joints` : typeof person;
      throw new KitError(
        `${path}: person ${i} has ${got}, expected ${NUM_JOINTS} joints of [x, y]`,
      );
    }
    person.forEach((joint: unknown, j) => {
      if (!Array.isArray(joint) || joint.length !== 2) {
        throw new KitError(`${path}: person ${i}, joint ${j} is not an [x, y] pair`);
      }
      joint.forEach((v: unknown, c) => {
        // JSON has no NaN: null stands for a joint without a prediction.
        if (v !== null && typeof v !== "number") {
          throw new KitError(`${path}: person ${i}, joint ${j} holds ${JSON.stringify(v)}`);
        }
        data[(i * NUM_JOINTS + j) * 2 + c] = v === null ? NaN : v;
      });
    });
  });
  return { shape: [n, NUM_JOINTS, 2], data };
}

/**
 * Reads predictions as `[N, 16, 2]` image coordinates: `preds` (Nx16x2) in a .mat or .h5,
 * `pos_pred_src` (16x2xN) in a .mat, or a JSON array Nx16x2 (or `{"preds": ...}`; null = no
 * prediction).
 *
 * @example
 * ```ts
 * const preds = await readPredictions("checkpoint/preds.mat"); // { shape: [2958, 16, 2], data }
 * ```
 */
export async function readPredictions(path: string): Promise<NdArray> {
  const format = await sniffFormat(path);
  if (format === "json") return parseJsonPredictions(path, await Deno.readTextFile(path));
  if (format === "h5") {
    const preds = (await readH5(path)).numeric("preds");
    expectShape(preds, [-1, NUM_JOINTS, 2], path, "preds");
    return preds;
  }
  const mat = await readMat(path);
  if (mat.has("preds")) {
    const preds = withTrailing(mat.numeric("preds"), 3);
    expectShape(preds, [-1, NUM_JOINTS, 2], path, "preds");
    return preds;
  }
  if (mat.has("pos_pred_src")) {
    const pos = withTrailing(mat.numeric("pos_pred_src"), 3);
    expectShape(pos, [NUM_JOINTS, 2, -1], path, "pos_pred_src");
    return transpose(pos, [2, 0, 1]);
  }
  throw new KitError(
    `${path}: no predictions: expected "preds" (Nx16x2) or "pos_pred_src" (16x2xN); ` +
      `has ${mat.keys.join(", ")}`,
  );
}
