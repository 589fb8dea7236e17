/**
 * A seeded ablation plan: one base experiment x the five rows of Ke et al.'s ablation x seeds,
 * each run in `<root>/<row>/seed-<k>`. The seed (`seed`) sets the initial weights and the order
 * and augmentation of the training samples, so row k and row k-1 with the same seed differ only
 * in what the step adds: the report pairs them by seed. The validation people stay those of
 * the base's `data.synth.seed`.
 *
 * @module
 */

import { join } from "@std/path";
import { openDataset } from "../data/open.ts";
import { KitError } from "../io/errors.ts";
import { ifExists } from "../io/missing.ts";
import { ABLATION_STEPS, ablationExperiment, type AblationStepId } from "./ablation.ts";
import { readCheckpointMeta, resolveCheckpoint } from "./checkpoint.ts";
import { type ExperimentConfig, resolveExperiment } from "./config.ts";
import { totalEpochs } from "./schedule.ts";

/** The file a plan's root keeps the plan in (base config, seeds, rows, command, commit). */
export const PLAN_FILE = "ablation_plan.json";

/** One run of a plan. */
export interface PlannedRun {
  readonly step: AblationStepId;
  readonly seed: number;
  /** `<root>/<step>/seed-<seed>`. */
  readonly dir: string;
  readonly config: ExperimentConfig;
}

/**
 * The folder of one seed's run of a row, relative to the plan's root.
 *
 * @example
 * ```ts
 * runDirName("mss", 2); // "mss/seed-2"
 * ```
 */
export function runDirName(step: AblationStepId, seed: number): string {
  return `${step}/seed-${seed}`;
}

/**
 * Parses a seed list: comma-separated integers >= 0 and ranges (`1,2,3`, `1-3`, `4,7-8`).
 * Duplicates are an error, so a seed never trains twice.
 *
 * @example
 * ```ts
 * parseSeeds("1-3,7"); // [1, 2, 3, 7]
 * ```
 */
export function parseSeeds(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",").map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new KitError(`--seeds: "${part}" is not a seed (an integer >= 0) or a range a-b`);
    const lo = Number(m[1]), hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new KitError(`--seeds: the range "${part}" runs backwards`);
    for (let s = lo; s <= hi; s++) {
      if (out.includes(s)) throw new KitError(`--seeds: seed ${s} is listed twice`);
      out.push(s);
    }
  }
  return out;
}

/**
 * Parses a row list (step ids, comma-separated), in the paper's order whatever the order given.
 *
 * @example
 * ```ts
 * parseRows("msr,hourglass"); // ["hourglass", "msr"]
 * ```
 */
export function parseRows(text: string): AblationStepId[] {
  const ids = ABLATION_STEPS.map((s) => s.id as AblationStepId);
  const wanted = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  for (const w of wanted) {
    if (!(ids as string[]).includes(w)) {
      throw new KitError(`--rows: "${w}" is not an ablation row; the rows are ${ids.join(", ")}`);
    }
  }
  if (wanted.length === 0) {
    throw new KitError(`--rows: no rows given; the rows are ${ids.join(", ")}`);
  }
  return ids.filter((id) => wanted.includes(id));
}

/**
 * The runs of a plan, seed by seed (all rows of the first seed, then the next), so that a plan
 * stopped part way already holds complete paired rows.
 *
 * @example
 * ```ts
 * const runs = ablationPlan(base, { root: "runs/abl", seeds: [1, 2, 3] });
 * runs.length; // 15
 * runs[1].dir; // "runs/abl/mss/seed-1"
 * ```
 */
export function ablationPlan(
  base: ExperimentConfig,
  options: { root: string; seeds: readonly number[]; rows?: readonly AblationStepId[] },
): PlannedRun[] {
  if (options.seeds.length === 0) throw new KitError("an ablation plan needs at least one seed");
  const rows = options.rows ?? ABLATION_STEPS.map((s) => s.id);
  return options.seeds.flatMap((seed) =>
    rows.map((step) => {
      const seeded = resolveExperiment({ ...base, seed });
      return {
        step,
        seed,
        dir: join(options.root, runDirName(step, seed)),
        config: ablationExperiment(seeded, step),
      };
    })
  );
}

/** Where a planned run stands. */
export interface RunStatus {
  /** `missing`: no checkpoint; `partial`: stopped before its last step; `finished`. */
  readonly status: "missing" | "partial" | "finished";
  /** Steps taken (the last checkpoint's). */
  readonly step: number;
}

/**
 * Where a planned run stands, from its last checkpoint. A directory that holds the run of a
 * different config (another base, an edited file) is a KitError: the plan never trains over it.
 *
 * @example
 * ```ts
 * (await runStatus(run)).status; // "missing" | "partial" | "finished"
 * ```
 */
export async function runStatus(run: PlannedRun): Promise<RunStatus> {
  const cfgPath = join(run.dir, "config.json");
  const saved = await ifExists(() => Deno.readTextFile(cfgPath));
  if (saved !== undefined) {
    let same = false;
    try {
      same = JSON.stringify(resolveExperiment(JSON.parse(saved))) === JSON.stringify(run.config);
    } catch {
      same = false;
    }
    if (!same) {
      throw new KitError(
        `${cfgPath} is the config of another run than this plan's ${run.step} row with seed ` +
          `${run.seed} (a different base config or --set?); it is kept: choose another --out ` +
          `or move that run away`,
      );
    }
  }
  let dir: string;
  try {
    dir = await resolveCheckpoint(run.dir, "last");
  } catch {
    return { status: "missing", step: 0 };
  }
  const { state } = await readCheckpointMeta(dir);
  const done = state.epoch >= totalEpochs(run.config.schedule.stages) && state.batchInEpoch === 0;
  return { status: done ? "finished" : "partial", step: state.step };
}

/**
 * The optimiser steps a run takes in all: epochs x steps per epoch, where an epoch is
 * `schedule.stepsPerEpoch` or the whole training split (full batches), whichever is smaller.
 *
 * @example
 * ```ts
 * await plannedSteps(run.config); // 1000
 * ```
 */
export async function plannedSteps(cfg: ExperimentConfig): Promise<number> {
  const n = (await openDataset(cfg.data, "train")).length;
  const batches = Math.floor(n / cfg.schedule.batchSize);
  const perEpoch = cfg.schedule.stepsPerEpoch > 0
    ? Math.min(cfg.schedule.stepsPerEpoch, batches)
    : batches;
  return totalEpochs(cfg.schedule.stages) * perEpoch;
}
