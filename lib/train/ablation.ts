/**
 * Ke et al.'s component analysis (§IV-C): hourglass, + multi-scale supervision, + multi-scale
 * regression, + structure-aware loss, + keypoint masking (87.1 -> 87.6 -> 88.1 -> 88.3 -> 88.4
 * PCKh@0.5 on MPII). This file says which config each row trains: the steps, how a config is
 * recognised as one of them, and how the five configs derive from one base experiment. Reading
 * the runs back and tabulating them is evaluation (lib/eval/ablation_report.ts).
 *
 * @module
 */

import { KitError } from "../io/errors.ts";
import { modelSize } from "../models/config.ts";
import { type ExperimentConfig, resolveExperiment } from "./config.ts";

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
      // Without an MSR-net, "msr-outputs" places Eq. 2 nowhere; "all" would be a step the paper skips.
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
 * ablationExperiment(base, "msr").schedule.stages.map((s) => s.trains); // ["all", "msr-only", "all"]
 * ```
 */
export function ablationExperiment(base: ExperimentConfig, id: AblationStepId): ExperimentConfig {
  const m = base.model;
  const common = { ...modelSize(m), block: m.block };
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
    stage("msr", msrEpochs, { trains: "msr-only" }),
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
