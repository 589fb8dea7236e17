/**
 * Reader for the annotation list of bearpaw/pytorch-pose (`data/mpii/mpii_annotations.json`):
 * one JSON array of person records with `img_paths`, `joint_self` (16 x [x, y, visible] in MPII
 * order, or 14 in LSP order), `objpos` [x, y], `scale_provided` and `isValidation` (0 = train,
 * 1 = validation). Other fields (`img_width`, `joint_others`, ...) are ignored. The kit's own
 * exports add `headbox` [x1, y1, x2, y2] for PCKh, which the reader picks up when present.
 *
 * A joint at (0, 0) is not annotated; otherwise `visible` 1 means visible and 0 occluded.
 * Records whose `objpos` is -1 (no person position) cannot be cropped and are skipped, counted
 * in `skipped`.
 *
 * @module
 */

import { basename } from "@std/path";
import { KitError } from "../../io/errors.ts";
import { LSP_TO_MPII } from "../../skeleton/lsp.ts";
import { NUM_JOINTS } from "../../skeleton/mpii.ts";
import { type Keypoint, remapKeypoints } from "../../skeleton/remap.ts";
import { type Box, MPII_CROP } from "../types.ts";
import { type Annotation, FileDataset, keypointFrom, requireImageDir } from "./common.ts";

/** Which records of the list: `isValidation` 0, 1, or all. */
export type JsonSplit = "train" | "val" | "all";

/** A dataset read from a bearpaw JSON list, with the number of records skipped. */
export class MpiiJsonDataset extends FileDataset {
  constructor(
    name: string,
    imageDir: string,
    annotations: readonly Annotation[],
    /** Records of the split without a person position (`objpos` -1). */
    readonly skipped: number,
  ) {
    super(name, imageDir, annotations, MPII_CROP);
  }
}

/**
 * `path`, or `path.gz` when only the gzipped copy exists (data/README.md says either works, so
 * the default `mpii_annotations.json` also finds `mpii_annotations.json.gz`).
 */
async function plainOrGzip(path: string): Promise<string> {
  const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
  if (path.endsWith(".gz") || await exists(path)) return path;
  return await exists(`${path}.gz`) ? `${path}.gz` : path;
}

async function readJson(path: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound ? "annotation file not found" : "cannot read";
    throw new KitError(`${path}: ${why} (${(e as Error).message}); see data/README.md`);
  }
  try {
    if (path.endsWith(".gz")) {
      const stream = new Blob([bytes as BlobPart]).stream()
        .pipeThrough(new DecompressionStream("gzip"));
      bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    }
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new KitError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

function numberArray(v: unknown, length: number): number[] | undefined {
  if (!Array.isArray(v) || v.length !== length) return undefined;
  return v.every((x) => typeof x === "number" && Number.isFinite(x)) ? (v as number[]) : undefined;
}

/**
 * Parses one record; throws a KitError naming the file, the record index and the field.
 *
 * @example
 * ```ts
 * parseRecord(json[0], "mpii_annotations.json", 0);
 * ```
 */
export function parseRecord(
  r: unknown,
  file: string,
  i: number,
): { annotation: Annotation; validation: boolean } | "no-position" {
  const bad = (field: string, want: string, got: unknown) =>
    new KitError(
      `${file}: record ${i} field "${field}" must be ${want}; got ${
        JSON.stringify(got)?.slice(0, 80)
      }`,
    );
  if (typeof r !== "object" || r === null || Array.isArray(r)) {
    throw bad("(record)", "an object", r);
  }
  const rec = r as Record<string, unknown>;
  const img = rec.img_paths;
  if (typeof img !== "string" || img.length === 0) {
    throw bad("img_paths", "an image file name", img);
  }
  const objpos = numberArray(rec.objpos, 2);
  if (!objpos) throw bad("objpos", "[x, y]", rec.objpos);
  const scale = rec.scale_provided;
  if (typeof scale !== "number" || !Number.isFinite(scale)) {
    throw bad("scale_provided", "a number", scale);
  }
  const isVal = rec.isValidation ?? 0;
  if (isVal !== 0 && isVal !== 1) throw bad("isValidation", "0 or 1", isVal);
  const joints = rec.joint_self;
  if (!Array.isArray(joints) || (joints.length !== NUM_JOINTS && joints.length !== 14)) {
    throw bad("joint_self", `${NUM_JOINTS} (MPII) or 14 (LSP) [x, y, visible] triples`, joints);
  }
  let keypoints: Keypoint[] = joints.map((jt, j) => {
    const t = numberArray(jt, 3);
    if (!t) throw bad(`joint_self[${j}]`, "[x, y, visible] numbers", jt);
    return keypointFrom(t[0]!, t[1]!, t[2]!);
  });
  if (keypoints.length === 14) keypoints = remapKeypoints(keypoints, LSP_TO_MPII, NUM_JOINTS);
  if (objpos[0] === -1) return "no-position";
  if (!(scale > 0)) throw bad("scale_provided", "> 0", scale);
  let headBox: Box | null = null;
  if (rec.headbox !== undefined) {
    const hb = numberArray(rec.headbox, 4);
    if (!hb) throw bad("headbox", "[x1, y1, x2, y2]", rec.headbox);
    headBox = [hb[0]!, hb[1]!, hb[2]!, hb[3]!];
  }
  return {
    annotation: {
      id: `${img}#${typeof rec.people_index === "number" ? rec.people_index : i}`,
      image: img,
      keypoints,
      center: [objpos[0]!, objpos[1]!],
      scale,
      headBox,
    },
    validation: isVal === 1,
  };
}

/**
 * Opens one split of a bearpaw-layout JSON list (plain or `.gz`; a `.json` path that is missing
 * falls back to its `.json.gz`), with images under `imageDir`.
 *
 * @example
 * ```ts
 * const train = await openMpiiJson({ annotations: "data/mpii/mpii_annotations.json", imageDir: "data/mpii/images", split: "train" });
 * ```
 */
export async function openMpiiJson(
  opts: { annotations: string; imageDir: string; split: JsonSplit },
): Promise<MpiiJsonDataset> {
  const file = await plainOrGzip(opts.annotations);
  const json = await readJson(file);
  if (!Array.isArray(json)) {
    throw new KitError(`${file}: expected a JSON array of person records, got ${typeof json}`);
  }
  const annotations: Annotation[] = [];
  let skipped = 0;
  json.forEach((r, i) => {
    const parsed = parseRecord(r, file, i);
    const validation = parsed === "no-position"
      ? ((r as Record<string, unknown>).isValidation ?? 0) === 1
      : parsed.validation;
    const wanted = opts.split === "all" || (opts.split === "val") === validation;
    if (!wanted) return;
    if (parsed === "no-position") skipped++;
    else annotations.push(parsed.annotation);
  });
  await requireImageDir(opts.imageDir, "images");
  return new MpiiJsonDataset(
    `${basename(file).replace(/\.json(\.gz)?$/, "")}-${opts.split}`,
    opts.imageDir,
    annotations,
    skipped,
  );
}
