/**
 * Scoring one trained run on its validation people, every stress split (lib/eval/stress.ts) and
 * the scale-stability sweep, written as one `stress.json` in the run directory for the ablation
 * report.
 *
 * Kept whole (~300 lines): scoring a run on every split and the file that records it share one
 * versioned shape, read back by the report.
 *
 * @module
 */

import { join, relative } from "@std/path";
import { openDataset } from "../data/open.ts";
import { openPipeline } from "../data/pipeline.ts";
import { cropConvention } from "../data/prepare.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { KitError } from "../io/errors.ts";
import { ifExists } from "../io/missing.ts";
import { pckhByVisibility } from "../metrics/pckh.ts";
import type { PckResult } from "../metrics/summary.ts";
import { predictHeatmaps } from "../models/build.ts";
import type { Part } from "../skeleton/mod.ts";
import { type AblationStepId, ablationStepOf } from "../train/ablation.ts";
import type { CheckpointPointer } from "../train/checkpoint.ts";
import type { ExperimentConfig } from "../train/config.ts";
import { loadTrained } from "../train/load.ts";
import { validate } from "./validate.ts";
import { tidyPredict } from "./dataset.ts";
import {
  DEFAULT_SWEEP_FACTORS,
  DEFAULT_SWEEP_SHIFTS,
  scaleStabilitySweep,
  type StabilitySample,
} from "./stability.ts";
import { type StressSplit, stressSplits } from "./stress.ts";

/** The file a run's stress evaluation is written to. */
export const STRESS_FILE = "stress.json";

/** Format version of {@link STRESS_FILE}; a file of another version is evaluated again. */
export const STRESS_VERSION = 1;

/** PCKh numbers of one group of joints. */
export interface CompactPck {
  readonly mean: number | null;
  /** Pooled over the Mean's joints, each joint weighing the same. */
  readonly weightedMean: number | null;
  readonly parts: { readonly [P in Part]: number | null };
  /** Annotated joints scored. */
  readonly joints: number;
}

/** One split's scores. */
export interface SplitScores {
  readonly id: string;
  readonly label: string;
  readonly people: number;
  readonly all: CompactPck;
  /** Joints SynthPose marks visible (2) and occluded (1). */
  readonly visible: CompactPck;
  readonly occluded: CompactPck;
}

/** The sweep's results, averaged over joints per condition. */
export interface StabilityScores {
  readonly people: number;
  readonly conditions: readonly {
    readonly kind: "reference" | "scale" | "shift";
    readonly factor: number;
    readonly shiftX: number;
    readonly shiftY: number;
    readonly mean: number | null;
    /** Mean joint movement from the reference prediction, in head sizes. */
    readonly movement: number | null;
  }[];
}

/** What `stress.json` holds. */
export interface StressFile {
  readonly version: number;
  /** The checkpoint directory scored (relative to the run) and which pointer chose it. */
  readonly checkpoint: string;
  readonly which: CheckpointPointer;
  readonly trainStep: number;
  /** The people limit per split (0 = all) and the sweep people asked for (0 = no sweep). */
  readonly settings: { readonly limit: number; readonly stabilityPeople: number };
  readonly seed: number;
  readonly ablationStep: AblationStepId | null;
  /** `val` first, then the stress splits. */
  readonly splits: readonly SplitScores[];
  readonly stability: StabilityScores | null;
  /** The report's number per column id (lib/eval/stress.ts REPORT_COLUMNS). */
  readonly scores: Readonly<Record<string, number | null>>;
  readonly seconds: number;
  readonly time: string;
}

/** How a run is scored. */
export interface StressOptions {
  /** The checkpoint to score (default "last": "best" is chosen on the validation people). */
  readonly which?: CheckpointPointer;
  /** Score only the first N people of each split (0 = all). */
  readonly limit?: number;
  /** People in the stability sweep (0 = no sweep; default 100, at most the split's). */
  readonly stabilityPeople?: number;
  /** Scale factors and shifts of the sweep (default lib/eval/stability.ts's). */
  readonly stabilityFactors?: readonly number[];
  readonly stabilityShifts?: readonly (readonly [number, number])[];
  /** Progress lines (default console.log) and whether bars redraw in place. */
  readonly log?: (line: string) => void;
  readonly live?: boolean;
}

/** A split as scored here: the validation people or a stress split. */
type ScoredSplit = Pick<StressSplit, "label" | "score" | "data"> & { readonly id: string };

/** Default people in the stability sweep (15 boxes each). */
export const DEFAULT_STABILITY_PEOPLE = 100;

function compact(r: PckResult): CompactPck {
  return {
    mean: r.mean,
    weightedMean: r.weightedMean,
    parts: r.parts,
    joints: r.counts.reduce((a, b) => a + b, 0),
  };
}

function average(values: readonly (number | null)[]): number | null {
  const ok = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return ok.length > 0 ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
}

/**
 * Scores the run (or checkpoint) at `runDir` on its validation people, every stress split and
 * the scale-stability sweep; see {@link StressFile}. Nothing is written.
 *
 * @example
 * ```ts
 * const s = await evaluateStress("runs/abl/hourglass/seed-1", { limit: 100 });
 * s.scores["occluded"]; // PCKh of the occluded joints of the occluded split
 * ```
 */
export async function evaluateStress(
  runDir: string,
  options: StressOptions = {},
): Promise<StressFile> {
  const start = performance.now();
  const which = options.which ?? "last";
  const trained = await loadTrained(runDir, which);
  try {
    return await scoreTrained(trained, runDir, which, options, start);
  } finally {
    trained.net.graph.dispose();
  }
}

async function scoreTrained(
  trained: Awaited<ReturnType<typeof loadTrained>>,
  runDir: string,
  which: CheckpointPointer,
  options: StressOptions,
  start: number,
): Promise<StressFile> {
  const log = options.log ?? console.log;
  const cfg = trained.config;
  const limit = options.limit ?? 0;
  const val: ScoredSplit = {
    id: "val",
    label: "validation people",
    score: "mean",
    data: { ...cfg.data, valLimit: limit > 0 ? limit : cfg.data.valLimit },
  };
  const splits = [val, ...stressSplits(cfg.data, { valLimit: limit })];
  const predict = tidyPredict((x) => predictHeatmaps(trained.net, x, trained.heatmaps));
  const scored: SplitScores[] = [];
  for (const split of splits) {
    const experiment: ExperimentConfig = { ...cfg, data: split.data };
    const pipeline = await openPipeline(split.data, "val", {
      mode: "eval",
      batchSize: cfg.eval.batchSize,
    });
    let ev;
    try {
      ev = await validate(trained.net, experiment, pipeline, {
        label: `${split.id}`,
        from: trained.heatmaps,
        live: options.live,
      });
    } finally {
      pipeline.close();
    }
    const byVis = pckhByVisibility(ev.gt, ev.preds, ev.norms, {
      alpha: cfg.eval.alpha,
      zeroHeadSize: "exclude",
    });
    scored.push({
      id: split.id,
      label: split.label,
      people: ev.ids.length,
      all: compact(ev.result),
      visible: compact(byVis.visible),
      occluded: compact(byVis.occluded),
    });
    log(`${split.id}: Mean ${ev.result.mean?.toFixed(2) ?? "-"} on ${ev.ids.length} people`);
  }
  const stability = await sweep(trained, val, predict, options);
  const scores: Record<string, number | null> = {};
  for (const [i, s] of scored.entries()) {
    scores[s.id] = splits[i]!.score === "occluded" ? s.occluded.weightedMean : s.all.mean;
  }
  const perturbed = stability?.conditions.filter((c) => c.kind !== "reference") ?? [];
  scores["stability"] = stability ? average(perturbed.map((c) => c.mean)) : null;
  scores["stability-movement"] = stability ? average(perturbed.map((c) => c.movement)) : null;
  return {
    version: STRESS_VERSION,
    checkpoint: relative(runDir, trained.dir) || ".",
    which,
    trainStep: trained.state.step,
    settings: { limit, stabilityPeople: options.stabilityPeople ?? DEFAULT_STABILITY_PEOPLE },
    seed: cfg.seed,
    ablationStep: ablationStepOf(cfg),
    splits: scored,
    stability,
    scores,
    seconds: (performance.now() - start) / 1000,
    time: new Date().toISOString(),
  };
}

async function sweep(
  trained: Awaited<ReturnType<typeof loadTrained>>,
  val: ScoredSplit,
  predict: ReturnType<typeof tidyPredict>,
  options: StressOptions,
): Promise<StabilityScores | null> {
  const wanted = options.stabilityPeople ?? DEFAULT_STABILITY_PEOPLE;
  if (wanted <= 0) return null;
  const cfg = trained.config;
  const dataset = await openDataset(val.data, "val");
  const people = Math.min(wanted, dataset.length);
  const samples: StabilitySample[] = [];
  for (let i = 0; i < people; i++) samples.push(await dataset.get(i));
  const report = await scaleStabilitySweep([{ name: "run", predict }], samples, {
    size: cfg.data.inputSize,
    stride: cfg.data.outputStride,
    crop: cropConvention(val.data, dataset.crop),
    flip: cfg.eval.flip,
    signed: cfg.data.occludedTarget === "negative",
    batchSize: cfg.eval.batchSize,
    alpha: cfg.eval.alpha,
    factors: options.stabilityFactors ?? DEFAULT_SWEEP_FACTORS,
    shifts: options.stabilityShifts ?? DEFAULT_SWEEP_SHIFTS,
  });
  const conditions = report.pckh.map((row) => ({
    kind: row.kind,
    factor: row.factor,
    shiftX: row.shiftX,
    shiftY: row.shiftY,
    mean: row.mean,
    movement: average(
      report.movement
        .filter((m) =>
          m.factor === row.factor && m.shiftX === row.shiftX && m.shiftY === row.shiftY
        )
        .map((m) => m.movement),
    ),
  }));
  return { people, conditions };
}

/**
 * Reads a run's `stress.json`, or null when there is none. A malformed file is a KitError naming
 * it.
 *
 * @example
 * ```ts
 * (await readStressFile("runs/abl/mss/seed-2"))?.scores.val;
 * ```
 */
export async function readStressFile(runDir: string): Promise<StressFile | null> {
  const path = join(runDir, STRESS_FILE);
  const text = await ifExists(() => Deno.readTextFile(path));
  if (text === undefined) return null;
  try {
    const o = JSON.parse(text) as StressFile;
    if (typeof o !== "object" || o === null || typeof o.scores !== "object") {
      throw new Error("no scores");
    }
    return o;
  } catch (e) {
    throw new KitError(`${path}: not a stress evaluation (${(e as Error).message})`);
  }
}

/**
 * Writes a run's stress evaluation to `<runDir>/stress.json` (atomically).
 *
 * @example
 * ```ts
 * await writeStressFile(dir, await evaluateStress(dir));
 * ```
 */
export async function writeStressFile(runDir: string, file: StressFile): Promise<string> {
  const path = join(runDir, STRESS_FILE);
  await writeFileAtomic(path, JSON.stringify(file, null, 2) + "\n");
  return path;
}
