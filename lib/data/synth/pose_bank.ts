/**
 * SynthPose's bank of real human poses (`data/synth_pose_bank.json`), built from the MPII Human
 * Pose annotations in the bearpaw `mpii_annotations.json` layout by `deno task pose-bank`
 * (lib/cli/pose_bank.ts).
 *
 * Only people with all 16 joints annotated are used. Each pose is stored relative to the
 * annotated person position (`objpos`) in units of the MPII person box (`200 * scale_provided`
 * px), so a pose drawn at centre `c` and scale `s` sits in an image exactly as an MPII person
 * with that centre and scale would. Training poses come from MPII's training records and
 * validation poses from its validation records, so SynthPose's validation split holds poses the
 * training split never shows.
 *
 * @module
 */

import { hashSeed, Random } from "../../random/random.ts";
import { NUM_JOINTS } from "../../skeleton/mpii.ts";

/** Poses kept per split: enough variety for a procedural dataset, small enough to ship. */
export const BANK_TRAIN_POSES = 1200;
/** Validation poses kept. */
export const BANK_VAL_POSES = 300;
/** Stored coordinates are integers in 1/BANK_QUANT of the person box. */
export const BANK_QUANT = 1000;
/** MPII's person box is `MPII_BOX * scale_provided` px. */
const MPII_BOX = 200;

/** The fields of one bearpaw `mpii_annotations.json` record the bank reads. */
export interface MpiiPoseRecord {
  joint_self: number[][];
  objpos: number[];
  scale_provided: number;
  isValidation: number;
}

/** The bank: poses as `[x0, y0, x1, y1, ...]` integers, per split. */
export interface PoseBank {
  readonly train: readonly number[][];
  readonly val: readonly number[][];
}

/**
 * Turns an MPII record into a bank pose: `[x0, y0, x1, y1, ...]` integers, joint `j` at
 * `(objpos + pose[j] / BANK_QUANT * 200 * scale)`; undefined for a person with a joint missing
 * or far outside the person box.
 *
 * @example
 * ```ts
 * normalisePose({ joint_self, objpos: [100, 100], scale_provided: 1, isValidation: 0 });
 * ```
 */
export function normalisePose(r: MpiiPoseRecord): number[] | undefined {
  if (r.joint_self.length !== NUM_JOINTS) return undefined;
  const box = MPII_BOX * r.scale_provided;
  const out: number[] = [];
  for (const [x = 0, y = 0] of r.joint_self) {
    if (x === 0 && y === 0) return undefined; // not annotated
    const nx = (x - r.objpos[0]!) / box, ny = (y - r.objpos[1]!) / box;
    // A joint far outside the person box is an annotation slip, not a pose.
    if (Math.abs(nx) > 1 || Math.abs(ny) > 1) return undefined;
    out.push(Math.round(nx * BANK_QUANT), Math.round(ny * BANK_QUANT));
  }
  return out;
}

/**
 * The bank of `records`: up to BANK_TRAIN_POSES training and BANK_VAL_POSES validation poses,
 * each split shuffled with its own fixed seed (so the same annotations give the same bank).
 *
 * @example
 * ```ts
 * const bank = buildPoseBank(records);
 * bank.train.length; // 1200 from the full MPII list
 * ```
 */
export function buildPoseBank(records: readonly MpiiPoseRecord[]): PoseBank {
  const pick = (validation: boolean, count: number, seed: number) => {
    const poses = records.filter((r) => (r.isValidation === 1) === validation)
      .map(normalisePose).filter((p): p is number[] => p !== undefined);
    return new Random(hashSeed(seed)).shuffle(poses).slice(0, count);
  };
  return { train: pick(false, BANK_TRAIN_POSES, 1), val: pick(true, BANK_VAL_POSES, 2) };
}

const ABOUT =
  "SynthPose pose bank: 16-joint poses (MPII joint order) derived from the MPII Human " +
  "Pose Dataset annotations (M. Andriluka, L. Pishchulin, P. Gehler, B. Schiele, '2D Human " +
  "Pose Estimation: New Benchmark and State of the Art Analysis', CVPR 2014, " +
  "http://human-pose.mpi-inf.mpg.de), via the bearpaw/pytorch-pose mpii_annotations.json " +
  "list. People with all 16 joints annotated; train poses from MPII training records, val " +
  "poses from MPII validation records. Built by `deno task pose-bank` (lib/cli/pose_bank.ts). " +
  "See the dataset's website for its terms of use.";

/**
 * The bank as the text of `data/synth_pose_bank.json`: its provenance, its unit, and one pose
 * per line so the file stays diffable.
 *
 * @example
 * ```ts
 * JSON.parse(formatPoseBank(bank)).train.length === bank.train.length; // true
 * ```
 */
export function formatPoseBank(bank: PoseBank): string {
  const unit = `joint = objpos + value / ${BANK_QUANT} * ${MPII_BOX} * scale_provided ` +
    "(image px, y down)";
  const lines = (poses: readonly number[][]) =>
    poses.map((p) => `    ${JSON.stringify(p)}`).join(",\n");
  return `{\n  "about": ${JSON.stringify(ABOUT)},\n  "unit": ${JSON.stringify(unit)},\n` +
    `  "quant": ${BANK_QUANT},\n  "train": [\n${lines(bank.train)}\n  ],\n` +
    `  "val": [\n${lines(bank.val)}\n  ]\n}\n`;
}
