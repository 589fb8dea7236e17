/**
 * The training loss of a whole network: every stack's heatmaps at every supervised factor, and
 * the MSR-net's, against the ground-truth pyramid (Ke et al. §III-A: `L = Σ_i L_i` over scales
 * and stacks), with Eq. 1 or Eq. 2 per term and optional MSSH adaptive keypoint weights. The
 * network side of MSS-net is lib/models/mss.ts, of MSSH lib/models/mssh.ts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { KitError } from "../io/errors.ts";
import { adaptiveStackWeights } from "./adaptive.ts";
import type { LossConfig } from "./config.ts";
import { jointLosses } from "./heatmap.ts";
import { structureJointLosses } from "./structure.ts";
import { STRUCTURE_GROUPS } from "../skeleton/structure.ts";
import { downsampleHeatmaps } from "../heatmap/pyramid.ts";

/** The heatmaps a loss reads (a `ModelOutputs` from lib/models fits). */
export interface HeatmapOutputs {
  /** `[stack][i]` heatmaps at `factors[i]`, `[B, h, w, J]`. */
  readonly stacks: readonly (readonly tf.Tensor4D[])[];
  readonly msr?: readonly tf.Tensor4D[];
  readonly factors: readonly number[];
  readonly msrFactors: readonly number[];
  /** MSSH: per stack, the pyramid factor of its factor-1 ground truth (absent: 1 for all). */
  readonly stackTargetFactors?: readonly number[];
}

/** One term of the total, for logging. */
export type LossPart = {
  readonly stack: number | "msr";
  readonly factor: number;
  readonly loss: tf.Scalar;
};

/** The total loss and its terms; `tf.dispose(breakdown)` frees them. */
export type LossBreakdown = {
  readonly total: tf.Scalar;
  /** Terms in order: stacks (factors finest first), then MSR-net; they sum to `total`. */
  readonly parts: LossPart[];
  /** `[stacks, J]` keypoint weights of each stack (uniform 1/J unless `adaptive`). */
  readonly keypointWeights: tf.Tensor2D;
};

function checkShapes(
  pred: tf.Tensor4D,
  targets: readonly tf.Tensor4D[],
  weights: tf.Tensor2D,
  factor: number,
  what: string,
): tf.Tensor4D {
  const k = Math.log2(factor);
  const target = targets[k];
  if (!target) {
    throw new KitError(
      `${what} needs targets[${k}] (factor ${factor}); the batch has ${targets.length} target level(s)`,
    );
  }
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  if (!same(target.shape, pred.shape)) {
    throw new KitError(
      `targets[${k}] (factor ${factor}) is [${target.shape}] but ${what} is [${pred.shape}]`,
    );
  }
  if (!same(weights.shape, [pred.shape[0], pred.shape[3]])) {
    throw new KitError(
      `target weights are [${weights.shape}]; expected [batch, joints] = [${pred.shape[0]}, ${
        pred.shape[3]
      }]`,
    );
  }
  return target;
}

/**
 * MSSH's per-stack ground truth: the batch's rendered level at `factor` (σ in that level's
 * pixels), brought to the stack's heatmap size by bilinear resampling with half-pixel centres
 * (the pixel-centre convention of lib/heatmap/coords.ts), so the blob is `factor` times wider.
 */
function stackTarget(
  targets: readonly tf.Tensor4D[],
  factor: number,
  pred: tf.Tensor4D,
  stack: number,
): tf.Tensor4D {
  const level = targets[Math.log2(factor)];
  if (!level) {
    throw new KitError(
      `stack ${stack + 1} is supervised with the ground truth at factor ${factor} ` +
        `(loss.stackTargets "dispatched"); the batch has ${targets.length} target level(s): ` +
        `add ${factor} to data.pyramidFactors`,
    );
  }
  const [, h, w] = pred.shape;
  return tf.image.resizeBilinear(level, [h, w], false, true);
}

/**
 * The whole loss. `targets[k]` is the ground truth at factor 2^k (`[GT, GT/2, GT/4, GT/8]` as
 * `encodePyramid` makes them), `weights` the `[B, J]` joint weights (0 = missing). With
 * `pyramid: "downsample"` (Ke's reading, the default) the levels k > 0 are replaced by
 * `targets[0]` average-pooled by 2^k; with `"redraw"` they are used as given.
 *
 * Each stack s and factor f contributes `scaleWeights[log2 f] · Σ_n ω_{s,n} ℓ_{s,f,n}` where
 * `ℓ` is the per-keypoint Eq. 1 (or Eq. 2 when `structure` is `all`) and `ω_s` the stack's
 * keypoint weights: `1/J` (so the term is Eq. 1's mean over keypoints), or with `adaptive` the
 * MSSH weights computed from stack s-1's factor-1 losses. The MSR-net's outputs contribute
 * `msrWeight · scaleWeights[log2 f] · mean_n ℓ_{msr,f,n}`, with Eq. 2 when `structure` is
 * `msr` or `all`, whose neighbour groups are `groups` (the MPII skeleton's by default).
 *
 * @example
 * ```ts
 * const { total, parts } = multiScaleLoss(forward(net, images, true), targets, weights, lossDefaults);
 * ```
 */
export function multiScaleLoss(
  out: HeatmapOutputs,
  targets: readonly tf.Tensor4D[],
  weights: tf.Tensor2D,
  cfg: LossConfig,
  groups: readonly (readonly number[])[] = STRUCTURE_GROUPS,
): LossBreakdown {
  const j = weights.shape[1];
  const structural = cfg.structure === "all" ||
    (cfg.structure === "msr-outputs" && out.msr?.length);
  if (structural && groups.length !== j) {
    throw new KitError(
      `the structure-aware loss needs one neighbour group per joint: ${groups.length} groups for ${j} joints`,
    );
  }
  return tf.tidy(() => {
    const w = cfg.missing === "zero" ? tf.onesLike(weights) : weights;
    // Ke §III-A: "the ground-truth keypoint feature map is down-sampled to match the
    // corresponding extracted keypoint heatmap at each scale". With "downsample" the coarser
    // levels are the factor-1 target average-pooled (the batch's redrawn levels are unused).
    const pooled = new Map<number, tf.Tensor4D>();
    const levels = cfg.pyramid === "downsample" && targets[0]
      ? targets.map((t, k) => {
        if (k === 0) return t;
        const f = 2 ** k;
        if (!pooled.has(f)) pooled.set(f, downsampleHeatmaps(targets[0]!, f));
        return pooled.get(f)!;
      })
      : targets;
    const perKeypoint = (pred: tf.Tensor4D, target: tf.Tensor4D, structural: boolean) =>
      structural
        ? structureJointLosses(pred, target, w, { ...cfg, groups })
        : jointLosses(pred, target, w, { pixels: cfg.pixels });

    // ℓ[s][i]: per-keypoint losses of stack s at factors[i].
    const losses = out.stacks.map((heatmaps, s) =>
      heatmaps.map((pred, i) => {
        const factor = out.factors[i]!;
        const target = checkShapes(
          pred,
          levels,
          w,
          factor,
          `stack ${s + 1}'s factor-${factor} heatmaps`,
        );
        const own = factor === 1 && cfg.stackTargets === "dispatched"
          ? out.stackTargetFactors?.[s] ?? 1
          : 1;
        return perKeypoint(
          pred,
          own > 1 ? stackTarget(targets, own, pred, s) : target,
          cfg.structure === "all",
        );
      })
    );
    const keypointWeights = cfg.adaptive
      ? adaptiveStackWeights(losses.map((l) => l[0]!), cfg.adaptiveNorm)
      : tf.fill([out.stacks.length, j], 1 / j) as tf.Tensor2D;
    const omega = tf.unstack(keypointWeights) as tf.Tensor1D[];

    const parts: LossPart[] = [];
    losses.forEach((perFactor, s) =>
      perFactor.forEach((l, i) => {
        const factor = out.factors[i]!;
        const scale = cfg.scaleWeights[Math.log2(factor)] ?? 1;
        parts.push({ stack: s, factor, loss: tf.mul(tf.sum(tf.mul(omega[s]!, l)), scale) });
      })
    );
    (out.msr ?? []).forEach((pred, i) => {
      const factor = out.msrFactors[i]!;
      const target = checkShapes(pred, levels, w, factor, `MSR-net's factor-${factor} heatmaps`);
      const l = perKeypoint(pred, target, cfg.structure !== "none");
      const scale = (cfg.scaleWeights[Math.log2(factor)] ?? 1) * cfg.msrWeight;
      parts.push({ stack: "msr", factor, loss: tf.mul(tf.mean(l), scale) });
    });
    const total = tf.addN(parts.map((p) => p.loss)) as tf.Scalar;
    const breakdown: LossBreakdown = { total, parts, keypointWeights };
    return breakdown;
  });
}
