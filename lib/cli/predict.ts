/**
 * `deno task predict --checkpoint <dir> <image...>`: for each image, the 16 keypoints as JSON
 * and a PNG with the skeleton drawn over the image.
 *
 * Without `--center`/`--scale` the person is assumed to fill the image (the whole image is the
 * crop); give them (MPII convention: scale = person height / 200 px) for a person in a larger
 * scene.
 *
 * @module
 */

import { basename, extname, join, resolve } from "@std/path";
import { initBackend, parseBackend } from "../backend/select.ts";
import { decodeImage } from "../data/image.ts";
import type { RgbImage } from "../data/types.ts";
import { estimatePoses } from "../eval/infer.ts";
import { tidyPredict } from "../eval/dataset.ts";
import { KitError } from "../io/errors.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { prepareOutputDir } from "../io/output.ts";
import { predictHeatmaps } from "../models/build.ts";
import { Progress } from "../progress/progress.ts";
import { type Keypoint, MPII_JOINTS } from "../skeleton/mod.ts";
import { loadTrained } from "../train/load.ts";
import { drawSkeleton, encodePng } from "../viz/draw.ts";
import { choiceFlag, numberFlag, parseFlags, runMain, userPath } from "./args.ts";

const USAGE = `usage: deno task predict --checkpoint <run or checkpoint dir> [--out <dir>]
                         [--center x,y --scale s] [--flip] [--min-confidence c]
                         [--which best|last] [--backend auto|webgpu|wasm|cpu] [--overwrite]
                         <image> [<image> ...]

  Writes <out>/<image name>.json (keypoints in image pixels with confidences, and for a model
  trained with data.occludedTarget "negative" whether each joint is predicted occluded) and
  <out>/<image name>.png (the skeleton over the image; joints below --min-confidence, default
  0.1, drawn as rings). Default --out: predictions/. Outputs never replace an input image or
  each other: a name taken by another image of the same name (or by an input) becomes
  <name>-2, -3, ... Outputs of an earlier run in --out are replaced only with --overwrite.`;

/** One image's prediction, as written to JSON. */
export interface PredictionRecord {
  readonly image: string;
  readonly width: number;
  readonly height: number;
  readonly center: [number, number];
  readonly scale: number;
  readonly keypoints: {
    joint: string;
    x: number;
    y: number;
    confidence: number;
    /** Only for a model trained with MSSH's negative targets: the joint's peak is negative. */
    occluded?: boolean;
  }[];
}

function parsePoint(raw: string): [number, number] {
  const parts = raw.split(",").map(Number);
  if (parts.length !== 2 || parts.some((v) => !Number.isFinite(v))) {
    throw new KitError(`--center takes x,y in image pixels; got "${raw}"`);
  }
  return [parts[0]!, parts[1]!];
}

async function readImage(path: string): Promise<RgbImage> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new KitError(`${path}: cannot read (${(e as Error).message})`);
  }
  try {
    return decodeImage(bytes);
  } catch (e) {
    throw new KitError(`${path}: not a readable PNG or JPEG image (${(e as Error).message})`);
  }
}

/**
 * The output stem (`<out>/<stem>.json`, `<out>/<stem>.png`) of each input image: its base name,
 * or `<name>-2`, `-3`, ... when another input of the same base name took it or when an output
 * would land on an input file (`--out` the images' own folder), so no output overwrites an input
 * or another output.
 *
 * @example
 * ```ts
 * await outputStems(["a/photo.png", "b/photo.jpg"], "predictions"); // ["photo", "photo-2"]
 * ```
 */
export async function outputStems(inputs: readonly string[], outDir: string): Promise<string[]> {
  const real = async (p: string) => {
    try {
      return await Deno.realPath(p);
    } catch {
      return resolve(p);
    }
  };
  const inputPaths = new Set(await Promise.all(inputs.map(real)));
  const outRoot = await real(outDir);
  const taken = new Set<string>();
  return inputs.map((path) => {
    const base = basename(path, extname(path));
    for (let k = 1;; k++) {
      const stem = k === 1 ? base : `${base}-${k}`;
      const files = OUTPUT_EXTENSIONS.map((ext) => join(outRoot, stem + ext));
      if (taken.has(stem) || files.some((f) => inputPaths.has(f))) continue;
      taken.add(stem);
      return stem;
    }
  });
}

/** The files written per image. */
const OUTPUT_EXTENSIONS = [".json", ".png"] as const;

/**
 * The output files (`<out>/<stem>.json`, `.png`) that already exist, e.g. from an earlier run
 * into the same `--out`: predict replaces them only with `--overwrite`.
 *
 * @example
 * ```ts
 * await existingOutputs(["photo"], "predictions"); // ["predictions/photo.json", ...] or []
 * ```
 */
export async function existingOutputs(stems: readonly string[], outDir: string): Promise<string[]> {
  const found: string[] = [];
  for (const stem of stems) {
    for (const ext of OUTPUT_EXTENSIONS) {
      const path = join(outDir, stem + ext);
      try {
        await Deno.lstat(path);
        found.push(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
  }
  return found;
}

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: ["checkpoint", "out", "center", "scale", "min-confidence", "which", "backend"],
    boolean: ["flip", "overwrite"],
  }, USAGE);
  const checkpoint = flags.checkpoint as string | undefined;
  if (!checkpoint) throw new KitError(`--checkpoint is required\n${USAGE}`);
  if (flags._.length === 0) throw new KitError(`no images given\n${USAGE}`);
  if ((flags.center === undefined) !== (flags.scale === undefined)) {
    throw new KitError("--center and --scale go together");
  }
  const minConfidence = numberFlag(flags, "min-confidence", 0.1, { min: 0 });
  const scaleFlag = flags.scale === undefined
    ? undefined
    : numberFlag(flags, "scale", 1, { min: 1e-6 });
  const centerFlag = flags.center === undefined ? undefined : parsePoint(flags.center as string);
  const which = choiceFlag(flags, "which", ["best", "last"] as const, "best");
  const backend = parseBackend((flags.backend as string | undefined) ?? "auto");
  const images = flags._.map(userPath);
  // Every input is checked before the model loads: a typo fails at once, not after the others.
  for (const path of images) {
    const info = await Deno.stat(path).catch((e) => {
      throw new KitError(`${path}: cannot read (${(e as Error).message})`);
    });
    if (!info.isFile) throw new KitError(`${path}: not a file`);
  }
  // Everything else is valid before --out is created (and checked writable).
  const outDir = userPath((flags.out as string | undefined) ?? "predictions");
  // Names are settled and earlier outputs checked before the (slow) model load.
  const stems = await outputStems(images, outDir);
  const existing = await existingOutputs(stems, outDir);
  if (existing.length > 0 && flags.overwrite !== true) {
    throw new KitError(
      `${existing[0]}: already exists` +
        (existing.length > 1 ? ` (and ${existing.length - 1} more output file(s))` : "") +
        `; predict would replace it. Choose another --out, or pass --overwrite`,
    );
  }
  await initBackend(backend);
  const { net, config, dir, heatmaps } = await loadTrained(userPath(checkpoint), which);
  console.log(`predict: ${dir}, ${config.model.kind} on ${config.data.inputSize}px crops`);
  await prepareOutputDir(outDir, { what: "predictions" });
  const predict = tidyPredict((x) => predictHeatmaps(net, x, heatmaps));
  // The run's own targets decide how its heatmaps read: signed for MSSH's negative targets.
  const signed = config.data.occludedTarget === "negative";
  const progress = new Progress({ total: images.length, unit: "images", label: "predict" });
  for (const [k, path] of images.entries()) {
    const image = await readImage(path);
    // Default: the whole image is the crop (no MPII padding or shift).
    const center: [number, number] = centerFlag ?? [(image.width - 1) / 2, (image.height - 1) / 2];
    const scale = scaleFlag ?? Math.max(image.width, image.height) / 200;
    const crop = centerFlag ? undefined : { padding: 1, shiftY: 0 };
    const est = await estimatePoses(predict, [{ image, center, scale }], {
      size: config.data.inputSize,
      stride: config.data.outputStride,
      flip: Boolean(flags.flip) || config.eval.flip,
      batchSize: 1,
      signed,
      ...(crop ? { crop } : {}),
    });
    const keypoints: Keypoint[] = MPII_JOINTS.map((_, j) => {
      const c = est.confidence[j]!;
      return [est.coords[2 * j]!, est.coords[2 * j + 1]!, c >= minConfidence ? 2 : 1] as const;
    });
    const stem = stems[k]!;
    const record: PredictionRecord = {
      image: path,
      width: image.width,
      height: image.height,
      center,
      scale,
      keypoints: MPII_JOINTS.map((joint, j) => ({
        joint,
        x: est.coords[2 * j]!,
        y: est.coords[2 * j + 1]!,
        confidence: est.confidence[j]!,
        ...(est.occluded ? { occluded: est.occluded[j] === 1 } : {}),
      })),
    };
    await writeFileAtomic(join(outDir, `${stem}.json`), JSON.stringify(record, null, 2));
    await writeFileAtomic(
      join(outDir, `${stem}.png`),
      encodePng(drawSkeleton(image, keypoints)),
    );
    progress.tick();
  }
  progress.done();
  const renamed = stems.filter((s, k) => s !== basename(images[k]!, extname(images[k]!)));
  console.log(
    `wrote ${images.length} JSON and PNG file pair(s) to ${outDir}/` +
      (renamed.length ? ` (renamed to keep names distinct: ${renamed.join(", ")})` : ""),
  );
}

if (import.meta.main) await runMain(() => main(Deno.args));
