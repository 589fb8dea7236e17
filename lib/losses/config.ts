/**
 * The `loss` section of the experiment config.
 *
 * @module
 */

import { KitError } from "../io/errors.ts";
import type { Choices } from "../config/config.ts";
import type { ModelKind } from "../models/config.ts";

/** How Eq. 1 reduces over pixels: `sum` as written in Ke et al., `mean` as in MSE losses. */
export const PIXEL_REDUCTIONS = ["sum", "mean"] as const;
/** A pixel reduction. */
export type PixelReduction = typeof PIXEL_REDUCTIONS[number];

/**
 * Joints without ground truth (weight 0): `zero` trains them towards an all-zero map, as Newell
 * et al. §3.4 do ("In these cases the joint is either truncated or severely occluded, so for
 * supervision a ground truth heatmap of all zeros is provided"); the paper configs use it.
 * `ignore` (the kit's default, kept so that the SynthPose configs and recorded runs train as
 * before) leaves their maps untrained, as target weights do in bearpaw/pytorch-pose. Only with
 * `zero` has the network been taught what an absent joint's heatmap looks like, which is what
 * Newell's joint-presence analysis (Fig. 11) reads: see `presenceTraining` in lib/eval.
 */
export const MISSING_JOINTS = ["ignore", "zero"] as const;
/** Missing-joint handling. */
export type MissingJoints = typeof MISSING_JOINTS[number];

/**
 * How the ground truth of the coarser scales (GT/2, GT/4, GT/8) is made. `downsample` follows
 * Ke et al. §III-A literally: "the ground-truth keypoint feature map is down-sampled to match the
 * corresponding extracted keypoint heatmap at each scale" (the full-resolution target
 * average-pooled by the factor: the blob keeps its size in image space, its peak falls below 1).
 * `redraw` renders each level afresh with σ in that level's pixels (a 2/4/8x wider blob in image
 * space, peak 1 at every level), the kit's earlier reading.
 */
export const PYRAMID_MODES = ["downsample", "redraw"] as const;
/** A pyramid mode. */
export type PyramidMode = typeof PYRAMID_MODES[number];

/**
 * How Eq. 2's structural term is reduced over keypoints. Ke et al.'s Eq. 2 is
 * `L_SA = (1/N) Σ_n ||P_n - G_n||² + α Σ_n ||P_Sn - G_Sn||²`: `sum` is that form (the structural
 * term not divided by N); `mean` divides it by N too, so α weighs the two terms per keypoint.
 */
export const STRUCTURE_REDUCTIONS = ["mean", "sum"] as const;
/** A structural-term reduction. */
export type StructureReduction = typeof STRUCTURE_REDUCTIONS[number];

/**
 * MSSH's ground truth per stack: `dispatched` supervises each stack with the ground truth of the
 * scale of the pre-processing feature it receives (§4.1: "the standard deviation of the heatmap
 * on the small scale is large, and the standard deviation of the heatmap on the large scale is
 * small"; see `stackTargetFactors` in lib/models; it needs that level in `data.pyramidFactors`);
 * `shared` (the default: the paper gives no σ values, so per-scale σ is our reading, which
 * `configs/lsp_mssh_paper.json` selects) gives every stack the same one. Other models have one
 * ground truth whatever this says.
 */
export const STACK_TARGETS = ["dispatched", "shared"] as const;
/** A per-stack ground-truth rule. */
export type StackTargets = typeof STACK_TARGETS[number];

/** Where the structure-aware loss (Eq. 2) replaces Eq. 1: nowhere, on MSR-net only, everywhere. */
export const STRUCTURE_PLACES = ["none", "msr", "all"] as const;
/** Where Eq. 2 applies. */
export type StructurePlace = typeof STRUCTURE_PLACES[number];

/** How a neighbour group's heatmaps combine into one map in Eq. 2. */
export const GROUP_COMBINES = ["sum", "max"] as const;
/** A group combination. */
export type GroupCombine = typeof GROUP_COMBINES[number];

/** How MSSH's adaptive weights normalise the previous stack's losses (see `nextAdaptiveWeights`). */
export const ADAPTIVE_NORMS = ["sum", "max"] as const;
/** An adaptive-weight normalisation. */
export type AdaptiveNorm = typeof ADAPTIVE_NORMS[number];

/** The loss config. */
export type LossConfig = {
  readonly pixels: PixelReduction;
  readonly missing: MissingJoints;
  /** Ground truth of the coarser scales: Ke's down-sampled map (default) or redrawn. */
  readonly pyramid: PyramidMode;
  /** MSSH: each stack's ground truth at the scale of its dispatched feature, or shared (default). */
  readonly stackTargets: StackTargets;
  /** Weight of the loss at factors 1, 2, 4, 8 (in that order). */
  readonly scaleWeights: readonly number[];
  readonly structure: StructurePlace;
  /** Weight of Eq. 2's structural term (the paper gives no value). */
  readonly alpha: number;
  readonly combine: GroupCombine;
  /** Eq. 2's structural term over keypoints: averaged (default) or summed as in the paper. */
  readonly structureReduce: StructureReduction;
  /** MSSH Algorithm 1: per-keypoint weights for each stack from the previous stack's losses. */
  readonly adaptive: boolean;
  /** Loss normalisation of the adaptive weights: by their sum (default) or AdaBoost.R2's max. */
  readonly adaptiveNorm: AdaptiveNorm;
  /** Weight of the MSR-net's loss against the stacks'. */
  readonly msrWeight: number;
};

/**
 * Defaults: Eq. 1 summed over pixels in the stacks, the structure-aware loss on the MSR-net's
 * outputs (when the model has one), missing joints ignored, every scale weighted alike, no
 * adaptive weights.
 */
export const lossDefaults: LossConfig = {
  pixels: "sum",
  missing: "ignore",
  pyramid: "downsample",
  stackTargets: "shared",
  scaleWeights: [1, 1, 1, 1],
  structure: "msr",
  alpha: 1,
  combine: "sum",
  structureReduce: "mean",
  adaptive: false,
  adaptiveNorm: "sum",
  msrWeight: 1,
};

/** Closed choices of the loss section, for `mergeConfig`. */
export const lossChoices: Choices = {
  "loss.pixels": PIXEL_REDUCTIONS,
  "loss.missing": MISSING_JOINTS,
  "loss.pyramid": PYRAMID_MODES,
  "loss.stackTargets": STACK_TARGETS,
  "loss.structureReduce": STRUCTURE_REDUCTIONS,
  "loss.structure": STRUCTURE_PLACES,
  "loss.combine": GROUP_COMBINES,
  "loss.adaptiveNorm": ADAPTIVE_NORMS,
};

/**
 * The loss each paper trains its model with: Eq. 1 for the hourglass and the ICIP MSS-net,
 * Eq. 2 in the stacks and the MSR-net for Ke et al.'s full network, Algorithm 1 for MSSH.
 * (Ke's ablation without the structure-aware loss is `structure: "none"`.)
 *
 * @example
 * ```ts
 * paperLoss("mss-msr").structure; // "all"
 * paperLoss("mssh").adaptive; // true
 * ```
 */
export function paperLoss(kind: ModelKind): LossConfig {
  switch (kind) {
    case "hourglass":
    case "mss":
      return lossDefaults;
    case "mss-msr":
      return { ...lossDefaults, structure: "all" };
    case "mssh":
      return { ...lossDefaults, adaptive: true };
  }
}

function fail(key: string, want: string, value: unknown): never {
  throw new KitError(`config key "${key}" must be ${want}; got ${JSON.stringify(value)}`);
}

/**
 * Checks the numbers and choices of a loss config, naming the key (under `prefix`) and value.
 *
 * @example
 * ```ts
 * validateLossConfig({ ...lossDefaults, alpha: -1 });
 * // throws KitError: config key "loss.alpha" must be a number >= 0; got -1
 * ```
 */
export function validateLossConfig(cfg: LossConfig, prefix = "loss"): LossConfig {
  const k = (key: string) => `${prefix}.${key}`;
  const choice = (key: keyof LossConfig, allowed: readonly string[]) => {
    if (!allowed.includes(cfg[key] as string)) {
      fail(k(key), `one of ${allowed.join(", ")}`, cfg[key]);
    }
  };
  choice("pixels", PIXEL_REDUCTIONS);
  choice("missing", MISSING_JOINTS);
  choice("pyramid", PYRAMID_MODES);
  choice("stackTargets", STACK_TARGETS);
  choice("structureReduce", STRUCTURE_REDUCTIONS);
  choice("structure", STRUCTURE_PLACES);
  choice("combine", GROUP_COMBINES);
  choice("adaptiveNorm", ADAPTIVE_NORMS);
  const nonNegative = (key: string, v: unknown) => {
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail(key, "a number >= 0", v);
  };
  nonNegative(k("alpha"), cfg.alpha);
  nonNegative(k("msrWeight"), cfg.msrWeight);
  if (!Array.isArray(cfg.scaleWeights) || cfg.scaleWeights.length !== 4) {
    fail(k("scaleWeights"), "4 weights, for factors 1, 2, 4 and 8", cfg.scaleWeights);
  }
  cfg.scaleWeights.forEach((w, i) => nonNegative(`${k("scaleWeights")}[${i}]`, w));
  if (typeof cfg.adaptive !== "boolean") fail(k("adaptive"), "true or false", cfg.adaptive);
  return cfg;
}
