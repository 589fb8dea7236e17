/**
 * Builds `data/synth_pose_bank.json`, SynthPose's bank of real human poses, from the MPII Human
 * Pose annotations in the bearpaw `mpii_annotations.json` layout.
 *
 * Only people with all 16 joints annotated are used. Each pose is stored relative to the
 * annotated person position (`objpos`) in units of the MPII person box (`200 * scale_provided`
 * px), so a pose drawn at centre `c` and scale `s` sits in an image exactly as an MPII person
 * with that centre and scale would. Training poses come from MPII's training records and
 * validation poses from its validation records, so SynthPose's validation split holds poses the
 * training split never shows.
 *
 * Usage: `deno run -A lib/data/synth/make_pose_bank.ts <mpii_annotations.json[.gz]> [out.json]`
 *
 * @module
 */

import { runMain } from "../../cli/args.ts";
import { KitError } from "../../io/errors.ts";
import { writeFileAtomic } from "../../io/atomic.ts";
import { hashSeed, Random } from "../../random/random.ts";
import { NUM_JOINTS } from "../../skeleton/mpii.ts";

/** Poses kept per split: enough variety for a procedural dataset, small enough to ship. */
const TRAIN_POSES = 1200;
const VAL_POSES = 300;
/** Stored coordinates are integers in 1/QUANT of the person box. */
const QUANT = 1000;

interface Record {
  joint_self: number[][];
  objpos: number[];
  scale_provided: number;
  isValidation: number;
}

/**
 * Turns MPII records into bank poses: `[x0, y0, x1, y1, ...]` integers, joint `j` at
 * `(objpos + pose[j] / QUANT * 200 * scale)`.
 *
 * @example
 * ```ts
 * normalisePose({ joint_self, objpos: [100, 100], scale_provided: 1, isValidation: 0 });
 * ```
 */
export function normalisePose(r: Record): number[] | undefined {
  if (r.joint_self.length !== NUM_JOINTS) return undefined;
  const box = 200 * r.scale_provided;
  const out: number[] = [];
  for (const [x = 0, y = 0] of r.joint_self) {
    if (x === 0 && y === 0) return undefined; // not annotated
    const nx = (x - r.objpos[0]!) / box, ny = (y - r.objpos[1]!) / box;
    // A joint far outside the person box is an annotation slip, not a pose.
    if (Math.abs(nx) > 1 || Math.abs(ny) > 1) return undefined;
    out.push(Math.round(nx * QUANT), Math.round(ny * QUANT));
  }
  return out;
}

async function readRecords(path: string): Promise<Record[]> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new KitError(`${path}: cannot read (${(e as Error).message})`);
  }
  if (path.endsWith(".gz")) {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  const parsed = JSON.parse(new TextDecoder().decode(bytes));
  if (!Array.isArray(parsed)) throw new KitError(`${path}: expected a JSON array of records`);
  return parsed as Record[];
}

async function main(args: string[]): Promise<void> {
  const [input, output = "data/synth_pose_bank.json"] = args;
  if (!input) {
    throw new KitError(
      "usage: deno run -A lib/data/synth/make_pose_bank.ts <mpii_annotations.json[.gz]> [out]",
    );
  }
  const records = await readRecords(input);
  const pick = (validation: boolean, count: number, seed: number) => {
    const poses = records.filter((r) => (r.isValidation === 1) === validation)
      .map(normalisePose).filter((p): p is number[] => p !== undefined);
    return new Random(hashSeed(seed)).shuffle(poses).slice(0, count);
  };
  const train = pick(false, TRAIN_POSES, 1);
  const val = pick(true, VAL_POSES, 2);
  const bank = {
    about: "SynthPose pose bank: 16-joint poses (MPII joint order) derived from the MPII Human " +
      "Pose Dataset annotations (M. Andriluka, L. Pishchulin, P. Gehler, B. Schiele, '2D Human " +
      "Pose Estimation: New Benchmark and State of the Art Analysis', CVPR 2014, " +
      "http://human-pose.mpi-inf.mpg.de), via the bearpaw/pytorch-pose mpii_annotations.json " +
      "list. People with all 16 joints annotated; train poses from MPII training records, val " +
      "poses from MPII validation records. Built by lib/data/synth/make_pose_bank.ts. See the " +
      "dataset's website for its terms of use.",
    unit: `joint = objpos + value / ${QUANT} * 200 * scale_provided (image px, y down)`,
    quant: QUANT,
    train,
    val,
  };
  // One pose per line keeps the file diffable.
  const lines = (poses: number[][]) => poses.map((p) => `    ${JSON.stringify(p)}`).join(",\n");
  const text = `{\n  "about": ${JSON.stringify(bank.about)},\n  "unit": ${
    JSON.stringify(bank.unit)
  },\n  "quant": ${QUANT},\n  "train": [\n${lines(train)}\n  ],\n  "val": [\n${
    lines(val)
  }\n  ]\n}\n`;
  await writeFileAtomic(output, text);
  console.log(`wrote ${output}: ${train.length} train and ${val.length} val poses`);
}

if (import.meta.main) await runMain(() => main(Deno.args));
