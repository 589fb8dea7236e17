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

import { basename, extname, join } from "@std/path";
import { initBackend, parseBackend } from "../backend/select.ts";
import { decodeImage } from "../data/image.ts";
import type { RgbImage } from "../data/types.ts";
import { estimatePoses } from "../eval/infer.ts";
import { tidyPredict } from "../eval/dataset.ts";
import { KitError } from "../io/errors.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { predictHeatmaps } from "../models/build.ts";
import { Progress } from "../progress/progress.ts";
import { type Keypoint, MPII_JOINTS } from "../skeleton/mod.ts";
import { loadTrained } from "../train/load.ts";
import { drawSkeleton, encodePng } from "../viz/draw.ts";
import { choiceFlag, numberFlag, parseFlags, runMain } from "./args.ts";

const USAGE = `usage: deno task predict --checkpoint <run or checkpoint dir> [--out <dir>]
                         [--center x,y --scale s] [--flip] [--min-confidence c]
                         [--which best|last] [--backend auto|webgpu|wasm|cpu] <image> [<image> ...]

  Writes <out>/<image name>.json (keypoints in image pixels with confidences, and for a model
  trained with data.occludedTarget "negative" whether each joint is predicted occluded) and
  <out>/<image name>.png (the skeleton over the image; joints below --min-confidence, default
  0.1, drawn as rings). Default --out: predictions/.`;

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

async function main(args: string[]): Promise<void> {
  const flags = parseFlags(args, {
    string: ["checkpoint", "out", "center", "scale", "min-confidence", "which", "backend"],
    boolean: ["flip"],
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
  const which = choiceFlag(flags, "which", ["best", "last"] as const, "best");
  const outDir = (flags.out as string | undefined) ?? "predictions";
  await initBackend(parseBackend((flags.backend as string | undefined) ?? "auto"));
  const { pm, config, dir, heatmaps } = await loadTrained(checkpoint, which);
  console.log(`predict: ${dir}, ${config.model.kind} on ${config.data.inputSize}px crops`);
  await Deno.mkdir(outDir, { recursive: true });
  const predict = tidyPredict((x) => predictHeatmaps(pm, x, heatmaps));
  // The run's own targets decide how its heatmaps read: signed for MSSH's negative targets.
  const signed = config.data.occludedTarget === "negative";
  const progress = new Progress({ total: flags._.length, unit: "images", label: "predict" });
  for (const path of flags._) {
    const image = await readImage(path);
    // Default: the whole image is the crop (no MPII padding or shift).
    const center: [number, number] = flags.center
      ? parsePoint(flags.center as string)
      : [(image.width - 1) / 2, (image.height - 1) / 2];
    const scale = scaleFlag ?? Math.max(image.width, image.height) / 200;
    const crop = flags.center ? undefined : { padding: 1, shiftY: 0 };
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
    const stem = basename(path, extname(path));
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
    await Deno.writeFile(join(outDir, `${stem}.png`), encodePng(drawSkeleton(image, keypoints)));
    progress.tick();
  }
  progress.done();
  console.log(`wrote ${flags._.length} JSON and PNG file(s) to ${outDir}/`);
}

if (import.meta.main) await runMain(() => main(Deno.args));
