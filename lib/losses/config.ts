/**
 * The `loss` section of the experiment config.
 *
 * @module
 */

import { atLeast, choice, type Infer, parseConfig, section, z } from "../config/config.ts";
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

/**
 * Which outputs the structure-aware loss (Eq. 2) replaces Eq. 1 on: none, the MSR-net's outputs
 * (`msr-outputs`, spelt `msr` before; nowhere on a model without an MSR-net), all outputs.
 */
export const STRUCTURE_PLACES = ["none", "msr-outputs", "all"] as const;
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

/**
 * The `loss` section: each key's type, default and range in one place. Defaults: Eq. 1 summed
 * over pixels in the stacks, the structure-aware loss on the MSR-net's outputs (when the model
 * has one), missing joints ignored, every scale weighted alike, no adaptive weights.
 */
export const lossSchema = section({
  pixels: z.enum(PIXEL_REDUCTIONS).default("sum"),
  missing: z.enum(MISSING_JOINTS).default("ignore"),
  /** Ground truth of the coarser scales: Ke's down-sampled map (default) or redrawn. */
  pyramid: z.enum(PYRAMID_MODES).default("downsample"),
  /** MSSH: each stack's ground truth at the scale of its dispatched feature, or shared (default). */
  stackTargets: z.enum(STACK_TARGETS).default("shared"),
  /** Weight of the loss at factors 1, 2, 4, 8 (in that order). */
  scaleWeights: z.array(atLeast())
    .refine((w) => w.length === 4, { message: "4 weights, for factors 1, 2, 4 and 8" })
    .default(() => [1, 1, 1, 1]),
  structure: choice(STRUCTURE_PLACES, { msr: "msr-outputs" }).default("msr-outputs"),
  /** Weight of Eq. 2's structural term (the paper gives no value). */
  alpha: atLeast().default(1),
  combine: z.enum(GROUP_COMBINES).default("sum"),
  /** Eq. 2's structural term over keypoints: averaged (default) or summed as in the paper. */
  structureReduce: z.enum(STRUCTURE_REDUCTIONS).default("mean"),
  /** MSSH Algorithm 1: per-keypoint weights for each stack from the previous stack's losses. */
  adaptive: z.boolean().default(false),
  /** Loss normalisation of the adaptive weights: by their sum (default) or AdaBoost.R2's max. */
  adaptiveNorm: z.enum(ADAPTIVE_NORMS).default("sum"),
  /** Weight of the MSR-net's loss against the stacks'. */
  msrWeight: atLeast().default(1),
});

/** The loss config. */
export type LossConfig = Infer<typeof lossSchema>;

/** The defaults of the loss section. */
export const lossDefaults: LossConfig = lossSchema.parse({});

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

/**
 * Checks a loss config built in code, naming the key (under `prefix`) and value; returns it.
 *
 * @example
 * ```ts
 * validateLossConfig({ ...lossDefaults, alpha: -1 });
 * // throws KitError: config key "loss.alpha" must be a number >= 0; got -1
 * ```
 */
export function validateLossConfig(cfg: LossConfig, prefix = "loss"): LossConfig {
  parseConfig(lossSchema, cfg, prefix);
  return cfg;
}

/**
 * Resolves a loss config from a partial override: defaults filled in, unknown keys and bad
 * values rejected by their dotted name under `loss`.
 *
 * @example
 * ```ts
 * lossConfig({ structure: "all", alpha: 0.5 }).combine; // "sum"
 * lossConfig({ combine: "mean" }); // throws: config key "loss.combine" must be one of sum, max; got "mean"
 * ```
 */
export function lossConfig(override: unknown = {}): LossConfig {
  return parseConfig(lossSchema, override, "loss");
}
