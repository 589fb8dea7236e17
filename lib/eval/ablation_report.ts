/**
 * Reading an ablation back: each run directory made by `deno task train` (`config.json`,
 * `log.jsonl`, optionally an evaluation JSON) is recognised as one of Ke et al.'s steps by its
 * config (lib/train/ablation.ts), so a folder of runs is summarised into the paper's table
 * whatever the directories are called.
 *
 * Kept whole (~350 lines): reading a run folder and the tables built from it share the run
 * summary type and its scoring rules.
 *
 * @module
 */

import { basename, join } from "@std/path";
import { KitError } from "../io/errors.ts";
import { dirNames, ifExists } from "../io/missing.ts";
import { type Part, PARTS } from "../skeleton/mod.ts";
import {
  ABLATION_STEPS,
  type AblationStep,
  type AblationStepId,
  ablationStepOf,
} from "../train/ablation.ts";
import { type ExperimentConfig, resolveExperiment } from "../train/config.ts";
import { PLAN_FILE } from "../train/ablation_plan.ts";
import { readRunLog, type ValRecord } from "../train/log.ts";
import { SUMMARY_FILE } from "./ablation_seeded.ts";

/** Table scores of a run: the parts, the Mean and the AUC, in percent (null where absent). */
export interface RunScores {
  readonly parts: { readonly [P in Part]: number | null };
  readonly mean: number | null;
  readonly auc: number | null;
}

/** One validation point of a run. */
export interface ValidationPoint {
  readonly step: number;
  readonly epoch: number;
  readonly mean: number | null;
  readonly auc: number | null;
}

/** What a run directory says about itself. */
export interface RunSummary {
  readonly dir: string;
  readonly config: ExperimentConfig;
  readonly step: AblationStepId | null;
  /** A one-line description of what the config trains. */
  readonly description: string;
  /** Optimiser steps logged. */
  readonly steps: number;
  readonly validations: readonly ValidationPoint[];
  /** The final scores: the evaluation JSON when there is one, else the last validation. */
  readonly final: RunScores | null;
  /** Where `final` came from. */
  readonly source: string;
}

function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

function scoresOf(o: Record<string, unknown>): RunScores {
  const parts = {} as { [P in Part]: number | null };
  for (const p of PARTS) parts[p] = num(o[p]);
  return { parts, mean: num(o.Mean), auc: num(o.auc) };
}

/**
 * A one-line description of an experiment: network, sizes, loss and masking.
 *
 * @example
 * ```ts
 * describeExperiment(cfg); // "mss-msr 2x32 @64 px, Eq. 2 in all outputs, masking in stage 2, 600 steps of 8"
 * ```
 */
export function describeExperiment(cfg: ExperimentConfig): string {
  const m = cfg.model;
  const loss =
    cfg.loss.structure === "none" || (m.kind !== "mss-msr" && cfg.loss.structure === "msr-outputs")
      ? "Eq. 1"
      : cfg.loss.structure === "all"
      ? "Eq. 2 in all outputs"
      : "Eq. 2 on the MSR-net";
  const maskingStages = cfg.schedule.stages
    .map((s, i) => (s.masking && s.epochs > 0 ? i + 1 : 0))
    .filter((i) => i > 0);
  const masking = maskingStages.length > 0 ? `, masking in stage ${maskingStages.join(", ")}` : "";
  const epochs = cfg.schedule.stages.reduce((n, s) => n + s.epochs, 0);
  const steps = cfg.schedule.stepsPerEpoch > 0
    ? `${epochs * cfg.schedule.stepsPerEpoch} steps of ${cfg.schedule.batchSize}`
    : `${epochs} epochs of batch ${cfg.schedule.batchSize}`;
  return `${m.kind} ${m.stacks}x${m.features} @${m.inputSize} px, ${loss}${masking}, ${steps}`;
}

/**
 * Reads the evaluation JSON of a run (a `.json` file with "eval" in its name, e.g. `eval.json`
 * or `final_eval.json`), whole-file JSON or the last JSON line of captured stdout.
 */
async function readEvalJson(dir: string): Promise<{ file: string; scores: RunScores } | null> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && /eval[^/]*\.json$/i.test(e.name)) names.push(e.name);
  }
  const name = names.sort()[0];
  if (!name) return null;
  const path = join(dir, name);
  const text = await Deno.readTextFile(path);
  const candidates = [text, ...text.split("\n").filter((l) => l.trim().startsWith("{")).reverse()];
  for (const c of candidates) {
    try {
      const o = JSON.parse(c);
      if (o && typeof o === "object" && "Mean" in o) return { file: name, scores: scoresOf(o) };
    } catch {
      // not this candidate
    }
  }
  throw new KitError(
    `${path}: no JSON object with a "Mean" field (expected deno task eval --json)`,
  );
}

/**
 * Summarises one run directory from its `config.json`, its `log.jsonl` validation records and,
 * when present, an evaluation JSON (a `.json` file with "eval" in its name, as printed by
 * `deno task eval --json`).
 * Missing or malformed files are KitErrors naming them.
 *
 * @example
 * ```ts
 * const s = await readRunSummary("data/ablation/mss");
 * s.final?.mean; s.validations.at(-1);
 * ```
 */
export async function readRunSummary(dir: string): Promise<RunSummary> {
  const cfgPath = join(dir, "config.json");
  let config: ExperimentConfig;
  try {
    config = resolveExperiment(JSON.parse(await Deno.readTextFile(cfgPath)));
  } catch (e) {
    throw new KitError(`${cfgPath}: ${(e as Error).message}`);
  }
  const log = await readRunLog(join(dir, "log.jsonl"));
  const vals = log.filter((r): r is ValRecord => r.kind === "val");
  const validations = vals.map((r) => ({
    step: r.step,
    epoch: r.epoch,
    mean: num(r.pckh.Mean),
    auc: num(r.pckh.auc),
  }));
  const steps = Math.max(0, ...log.map((r) => r.step));
  const evaluation = await readEvalJson(dir);
  const last = vals.at(-1);
  return {
    dir,
    config,
    step: ablationStepOf(config),
    description: describeExperiment(config),
    steps,
    validations,
    final: evaluation?.scores ?? (last ? scoresOf(last.pckh) : null),
    source: evaluation ? evaluation.file : last ? `last validation (step ${last.step})` : "none",
  };
}

/** One row of the ablation: a step and the run that trained it (null: not yet recorded). */
export interface AblationRow {
  readonly step: AblationStep;
  readonly run: RunSummary | null;
  /** Further runs of the same step (the first by directory name is `run`). */
  readonly more: readonly RunSummary[];
}

/** The runs of an ablation folder, sorted into the paper's steps. */
export interface AblationSummary {
  readonly root: string;
  /** False when the folder does not exist (every row is then unrecorded). */
  readonly exists: boolean;
  readonly rows: readonly AblationRow[];
  /** Runs that are none of the steps. */
  readonly others: readonly RunSummary[];
  /** Subdirectories that could not be read, with the reason. */
  readonly unreadable: readonly { readonly dir: string; readonly message: string }[];
}

async function isSeededFolder(dir: string): Promise<boolean> {
  for (const f of [PLAN_FILE, SUMMARY_FILE]) {
    if (await Deno.stat(join(dir, f)).then(() => true, () => false)) return true;
  }
  return false;
}

/**
 * Reads every run directory under `root` and sorts them into the ablation's steps by their
 * configs; folders of seeded ablations (lib/eval/ablation_seeded.ts) are left to that reader.
 * A missing folder or step is not an error: its row has `run: null`.
 *
 * @example
 * ```ts
 * const ablation = await readAblation("../data/ablation");
 * ablation.rows.map((r) => r.run?.final?.mean ?? null);
 * ```
 */
export async function readAblation(root: string): Promise<AblationSummary> {
  const dirs = await ifExists(() => dirNames(root, (e) => e.isDirectory));
  if (dirs === undefined) {
    return {
      root,
      exists: false,
      rows: ABLATION_STEPS.map((step) => ({ step, run: null, more: [] })),
      others: [],
      unreadable: [],
    };
  }
  const runs: RunSummary[] = [];
  const unreadable: { dir: string; message: string }[] = [];
  for (const name of dirs.sort()) {
    // A seeded ablation's folder (plan, <row>/seed-<k> runs) is read by ablation_seeded.ts.
    if (await isSeededFolder(join(root, name))) continue;
    try {
      runs.push(await readRunSummary(join(root, name)));
    } catch (e) {
      unreadable.push({ dir: join(root, name), message: (e as Error).message });
    }
  }
  const rows = ABLATION_STEPS.map((step) => {
    const mine = runs.filter((r) => r.step === step.id);
    return { step, run: mine[0] ?? null, more: mine.slice(1) };
  });
  return { root, exists: true, rows, others: runs.filter((r) => r.step === null), unreadable };
}

const DATASET_NAMES: Record<string, string> = {
  synth: "SynthPose",
  mpii_h5: "MPII",
  mpii_json: "MPII",
  lsp: "LSP",
  flic: "FLIC",
};

/**
 * The dataset the recorded runs of an ablation were trained on, for table and chart labels:
 * "SynthPose", "MPII" ..., "mixed datasets" when they differ, "SynthPose" when there are none.
 *
 * @example
 * ```ts
 * ablationDataset(await readAblation("../data/ablation")); // "SynthPose"
 * ```
 */
export function ablationDataset(summary: Pick<AblationSummary, "rows">): string {
  const names = new Set(
    summary.rows.flatMap((r) => r.run ? [DATASET_NAMES[r.run.config.data.dataset] ?? "?"] : []),
  );
  if (names.size === 0) return "SynthPose";
  return names.size === 1 ? [...names][0]! : "mixed datasets";
}

function fmt(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? "-" : v.toFixed(digits);
}

function signed(v: number | null, digits = 1): string {
  return v === null ? "" : ` (${v >= 0 ? "+" : ""}${v.toFixed(digits)})`;
}

/**
 * The ablation as table cells in the paper's layout: each step with Ke et al.'s MPII Mean and
 * its gain over the previous step, then the kit's Mean (gain over the previous recorded step),
 * the parts, AUC and where the numbers came from. Unrecorded steps say so.
 *
 * @example
 * ```ts
 * const { header, rows } = ablationTable(await readAblation("../data/ablation"), "SynthPose");
 * console.log(markdownTable(header, rows));
 * ```
 */
export function ablationTable(
  summary: Pick<AblationSummary, "rows">,
  dataset: string = ablationDataset(summary),
): { header: string[]; rows: string[][] } {
  const header = [
    "step",
    "Ke et al. MPII Mean",
    `${dataset} Mean`,
    ...PARTS,
    "AUC",
    "run",
  ];
  let prevPaper: number | null = null;
  let prevOurs: number | null = null;
  const rows = summary.rows.map(({ step, run }) => {
    const paper = `${fmt(step.paperMean)}${
      signed(prevPaper === null ? null : step.paperMean - prevPaper)
    }`;
    prevPaper = step.paperMean;
    const f = run?.final ?? null;
    if (!run || !f) {
      return [
        step.label,
        paper,
        run ? "no validation yet" : "results not yet recorded",
        ...PARTS.map(() => ""),
        "",
        run ? basename(run.dir) : "",
      ];
    }
    const ours = `${fmt(f.mean, 2)}${
      signed(prevOurs === null || f.mean === null ? null : f.mean - prevOurs, 2)
    }`;
    if (f.mean !== null) prevOurs = f.mean;
    return [
      step.label,
      paper,
      ours,
      ...PARTS.map((p) => fmt(f.parts[p])),
      fmt(f.auc),
      `${basename(run.dir)}: ${run.steps} steps, ${run.source}`,
    ];
  });
  return { header, rows };
}

/**
 * Gains over the first step (the hourglass) for a grouped bar chart, by the steps' short names:
 * Ke et al.'s on MPII and the kit's on its dataset, for every step both have.
 *
 * @example
 * ```ts
 * barChartSpec(ablationGains(summary), { title: "Gain over the hourglass", xTitle: "step", yTitle: "PCKh points" });
 * ```
 */
export function ablationGains(
  summary: Pick<AblationSummary, "rows">,
  dataset: string = ablationDataset(summary),
): { category: string; group: string; value: number }[] {
  const first = summary.rows[0];
  const base = first?.run?.final?.mean ?? null;
  const out: { category: string; group: string; value: number }[] = [];
  for (const { step, run } of summary.rows) {
    out.push({
      category: step.short,
      group: "Ke et al. (MPII)",
      value: step.paperMean - ABLATION_STEPS[0].paperMean,
    });
    const mean = run?.final?.mean ?? null;
    if (base !== null && mean !== null) {
      out.push({ category: step.short, group: `posekit (${dataset})`, value: mean - base });
    }
  }
  return out;
}
