/**
 * Writing SynthPose splits to disk in the bearpaw MPII JSON layout (one JSON array of person
 * records plus one PNG per record), so that the real-data reader path (`openMpiiJson`) is
 * exercised end to end and exported data can be used by other tools.
 *
 * @module
 */

import { join } from "@std/path";
import { writeFileAtomic } from "../io/atomic.ts";
import { Progress } from "../progress/progress.ts";
import type { Keypoint } from "../skeleton/remap.ts";
import { type DataConfig, synthImageSize } from "./config.ts";
import { encodePng } from "./image.ts";
import { SynthPose } from "./synth/dataset.ts";
import type { PoseSample } from "./types.ts";

/** One record of the bearpaw layout (plus the kit's `headbox`). */
export interface BearpawRecord {
  readonly dataset: string;
  readonly isValidation: 0 | 1;
  readonly img_paths: string;
  readonly img_width: number;
  readonly img_height: number;
  readonly objpos: [number, number];
  /** 16 x [x, y, visible]: (0, 0, 0) = not annotated, visible 1 = visible, 0 = occluded. */
  readonly joint_self: [number, number, number][];
  readonly scale_provided: number;
  /** Head box [x1, y1, x2, y2] for PCKh (not in bearpaw's files; readers may ignore it). */
  readonly headbox?: [number, number, number, number];
}

/**
 * A sample as a bearpaw record: missing joints become (0, 0, 0), occluded ones keep their
 * position with visible 0.
 *
 * @example
 * ```ts
 * toBearpawRecord(sample, "train_000000.png", false).joint_self[0]; // [x, y, 1]
 * ```
 */
export function toBearpawRecord(
  sample: PoseSample,
  imagePath: string,
  validation: boolean,
  dataset = "SynthPose",
): BearpawRecord {
  const joint = ([x, y, v]: Keypoint): [number, number, number] =>
    v === 0 ? [0, 0, 0] : [x, y, v === 2 ? 1 : 0];
  const hb = sample.headBox;
  return {
    dataset,
    isValidation: validation ? 1 : 0,
    img_paths: imagePath,
    img_width: sample.image.width,
    img_height: sample.image.height,
    objpos: [sample.center[0], sample.center[1]],
    joint_self: sample.keypoints.map(joint),
    scale_provided: sample.scale,
    ...(hb ? { headbox: [hb[0], hb[1], hb[2], hb[3]] as [number, number, number, number] } : {}),
  };
}

/** What to export. */
export interface ExportOptions {
  readonly out: string;
  /** Training records (`isValidation` 0). */
  readonly count: number;
  /** Validation records (`isValidation` 1), rendered from SynthPose's validation split. */
  readonly valCount?: number;
  /** The data config: its `synth` section and scene size are used. */
  readonly config: DataConfig;
  /** Show progress (default true). */
  readonly progress?: boolean;
}

/**
 * Renders `count` training and `valCount` validation samples into `<out>/images/*.png` and
 * `<out>/mpii_annotations.json`. Returns the annotation file's path.
 *
 * @example
 * ```ts
 * await exportSynth({ out: "runs/synth", count: 1000, valCount: 200, config: dataConfig() });
 * const ds = await openMpiiJson({ annotations: "runs/synth/mpii_annotations.json", imageDir: "runs/synth/images", split: "train" });
 * ```
 */
export async function exportSynth(opts: ExportOptions): Promise<string> {
  const size = synthImageSize(opts.config);
  const splits = [
    { split: "train" as const, n: opts.count },
    { split: "val" as const, n: opts.valCount ?? 0 },
  ];
  const imageDir = join(opts.out, "images");
  await Deno.mkdir(imageDir, { recursive: true });
  const progress = opts.progress === false ? undefined : new Progress({
    total: opts.count + (opts.valCount ?? 0),
    unit: "images",
    label: "synth",
  });
  const lines: string[] = [];
  for (const { split, n } of splits) {
    if (n === 0) continue;
    const ds = new SynthPose(opts.config.synth, split, size, n);
    for (let i = 0; i < n; i++) {
      const sample = ds.render(i);
      const name = `${split}_${String(i).padStart(6, "0")}.png`;
      await Deno.writeFile(join(imageDir, name), encodePng(sample.image));
      lines.push(JSON.stringify(toBearpawRecord(sample, name, split === "val")));
      progress?.tick();
    }
  }
  const file = join(opts.out, "mpii_annotations.json");
  // One record per line: valid JSON that diffs and greps well.
  await writeFileAtomic(file, `[\n${lines.join(",\n")}\n]\n`);
  progress?.done();
  return file;
}
