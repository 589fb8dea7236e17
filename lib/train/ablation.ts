/**
 * Ke et al.'s component analysis (§IV-C): hourglass, + multi-scale supervision, + multi-scale
 * regression, + structure-aware loss, + keypoint masking (87.1 -> 87.6 -> 88.1 -> 88.3 -> 88.4
 * PCKh@0.5 on MPII). Each step is recognised from a run's config, so a folder of runs made with
 * `deno task train` (one directory each: `config.json`, `log.jsonl`, optionally an evaluation
 * JSON) is summarised into the paper's table whatever the directories are called.
 *
 * @module
 */

import { basename, join } from "@std/path";
import { KitError } from "../io/errors.ts";
import { type Part, PARTS } from "../skeleton/mod.ts";
import { type ExperimentConfig, resolveExperiment } from "./config.ts";
import { readRunLog, type ValRecord } from "./log.ts";

/** The steps of the ablation, in the paper's order, with its MPII PCKh@0.5 Mean and a short name for charts. */
export const ABLATION_STEPS = [
  { id: "hourglass", label: "Hourglass (Newell et al.)", short: "hourglass", paperMean: 87.1 },
  { id: "mss", label: "+ multi-scale supervision (MSS-net)", short: "+ MSS", paperMean: 87.6 },
  { id: "msr", label: "+ multi-scale regression (MSR-net)", short: "+ MSR", paperMean: 88.1 },
  { id: "structure", label: "+ structure-aware loss (Eq. 2)", short: "+ Eq. 2", paperMean: 88.3 },
  { id: "masking", label: "+ keypoint masking", short: "+ masking", paperMean: 88.4 },
] as const;

/** One step of the ablation. */
export type AblationStep = typeof ABLATION_STEPS[number];

/** The id of an ablation step. */
export type AblationStepId = AblationStep["id"];

/**
 * The ablation step a config trains, or null when it is none of them (e.g. MSSH, adaptive
 * weights, the structure-aware loss without an MSR-net). Keypoint masking counts when a stage
 * with epochs turns it on.
 *
 * @example
 * ```ts
 * ablationStepOf(resolveExperiment({ model: { kind: "mss" }, loss: { structure: "none" } })); // "mss"
 * ```
 */
export function ablationStepOf(cfg: ExperimentConfig): AblationStepId | null {
  const masking = cfg.schedule.stages.some((s) => s.masking && s.epochs > 0);
  if (cfg.loss.adaptive) return null;
  switch (cfg.model.kind) {
    case "hourglass":
    case "mss":
      // Without an MSR-net, "msr" places Eq. 2 nowhere; "all" would be a step the paper skips.
      if (masking || cfg.loss.structure === "all") return null;
      return cfg.model.kind;
    case "mss-msr":
      if (cfg.loss.structure === "none") return masking ? null : "msr";
      return masking ? "masking" : "structure";
    default:
      return null;
  }
}

/**
 * Ke et al.'s three stages in the proportions of §IV-A.1 (MSS-net 150 epochs, MSR-net 75 with
 * the MSS-net frozen, joint 75: one half, one quarter, the rest) for a budget of `total` epochs.
 *
 * @example
 * ```ts
 * keStageEpochs(300); // [150, 75, 75]
 * keStageEpochs(10); // [5, 2, 3]
 * keStageEpochs(3); // [1, 1, 1]
 * ```
 */
export function keStageEpochs(total: number): [number, number, number] {
  if (!Number.isInteger(total) || total < 3) {
    throw new KitError(`Ke's three training stages need at least 3 epochs; the budget is ${total}`);
  }
  // Every stage keeps at least one epoch, so a short budget still runs all three.
  const mss = Math.min(total - 2, Math.max(1, Math.round(total / 2)));
  const msr = Math.min(total - mss - 1, Math.max(1, Math.floor(total / 4)));
  return [mss, msr, total - mss - msr];
}

/**
 * The config of one ablation step derived from a base experiment: same data, sizes, optimiser,
 * rate schedule and total epochs; the step's network (multi-scale heads at every factor the
 * depth allows, an MSR-net as wide as the stacks), Eq. 1 or Eq. 2 everywhere. The hourglass and
 * MSS rows train in one stage. The rows with an MSR-net follow Ke's staging (§IV-C: "the training
 * of the MSR-net after the MSS-net is trained"; §IV-A.1: "We then train the MSR-Net for 75 epochs
 * with the MSS-Net parameters fixed. Finally the whole network pipeline is trained for 75 epoch
 * with keypoint masking fine-tuning"): the MSS-net alone (no MSR-net loss), the MSR-net alone
 * with the MSS-net frozen, then everything jointly, in `keStageEpochs` proportions. Keypoint
 * masking is on in the joint stage of the masking row only. (In the paper the +MSR and +Eq. 2
 * rows stop after stage 2; here they train the joint stage without masking, so every row has the
 * same budget and the masking row differs from the Eq. 2 row in masking alone.) The name gets
 * the step's id appended.
 *
 * @example
 * ```ts
 * const cfgs = ABLATION_STEPS.map((s) => ablationExperiment(base, s.id));
 * ablationExperiment(base, "msr").schedule.stages.map((s) => s.trains); // ["all", "msr", "all"]
 * ```
 */
export function ablationExperiment(base: ExperimentConfig, id: AblationStepId): ExperimentConfig {
  const m = base.model;
  const common = {
    inputSize: m.inputSize,
    joints: m.joints,
    stacks: m.stacks,
    features: m.features,
    depth: m.depth,
    residuals: m.residuals,
    block: m.block,
  };
  const heatmapSide = m.inputSize / base.data.outputStride;
  const reachable = (depth: number) =>
    [1, 2, 4, 8].filter((f) => f <= 2 ** (depth - 1) && heatmapSide % f === 0);
  const factors = reachable(m.depth);
  const msrDepth = Math.min(m.depth, Math.floor(Math.log2(heatmapSide)));
  const model = id === "hourglass"
    ? { ...common, kind: "hourglass" }
    : id === "mss"
    ? { ...common, kind: "mss", factors }
    : {
      ...common,
      kind: "mss-msr",
      factors,
      msr: {
        features: m.features,
        depth: msrDepth,
        residuals: m.residuals,
        factors: reachable(msrDepth),
        withFeatures: false,
      },
    };
  const needed = id === "hourglass" ? 1 : Math.max(...factors);
  const total = base.schedule.stages.reduce((n, s) => n + s.epochs, 0);
  const stage = (name: string, epochs: number, more: Record<string, unknown> = {}) => ({
    name,
    epochs,
    trains: "all",
    masking: false,
    lrScale: 1,
    msrLoss: true,
    ...more,
  });
  const [mssEpochs, msrEpochs, jointEpochs] = id === "hourglass" || id === "mss"
    ? [total, 0, 0]
    : keStageEpochs(total);
  const stages = id === "hourglass" || id === "mss" ? [stage("main", total)] : [
    stage("mss", mssEpochs, { msrLoss: false }),
    stage("msr", msrEpochs, { trains: "msr" }),
    stage(id === "masking" ? "joint-masking" : "joint", jointEpochs, {
      masking: id === "masking",
    }),
  ];
  return resolveExperiment({
    ...base,
    name: `${base.name}-${id}`,
    data: { ...base.data, pyramidFactors: [1, 2, 4, 8].filter((f) => f <= needed) },
    model,
    loss: { ...base.loss, structure: id === "structure" || id === "masking" ? "all" : "none" },
    schedule: { ...base.schedule, stages },
  });
}

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
    cfg.loss.structure === "none" || (m.kind !== "mss-msr" && cfg.loss.structure === "msr")
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

/**
 * Reads every run directory under `root` and sorts them into the ablation's steps by their
 * configs. A missing folder or step is not an error: its row has `run: null`.
 *
 * @example
 * ```ts
 * const ablation = await readAblation("../data/ablation");
 * ablation.rows.map((r) => r.run?.final?.mean ?? null);
 * ```
 */
export async function readAblation(root: string): Promise<AblationSummary> {
  const dirs: string[] = [];
  try {
    for await (const e of Deno.readDir(root)) if (e.isDirectory) dirs.push(e.name);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
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
