/**
 * MSSH, the multi-scale stacked hourglass: what sets its network apart from Newell's. Here: the
 * multi-scale pre-processing network (§3.2), the rule that dispatches its features into the
 * stacks (§3), and the ground-truth scale each stack is supervised with (§4.1). `Network`
 * (network.ts) adds the dispatched features to the stack inputs.
 *
 * The rest lives with its pipeline stage: the inception-resnet-A module in blocks.ts, the signed
 * targets of occluded joints (`occlusionAmplitudes`) in lib/heatmap/encode.ts, the adaptive
 * keypoint weights in lib/losses/adaptive.ts and the per-stack targets (`loss.stackTargets`) in
 * lib/losses/multiscale.ts.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { type Block, makeBlock } from "./blocks.ts";
import type { BlockKind, DispatchRule, ModelConfig } from "./config.ts";
import { type Builder, call, type Flow, type RunContext } from "./layers.ts";
import { STEM_CHANNELS } from "./stem.ts";

/**
 * Under `spread`: the stack each pre-processing scale feeds, for scales ordered coarsest first:
 * the coarsest goes to the first stack, the finest to the last, the others spread evenly in
 * between (`round(c * (stacks - 1) / (scales - 1))` for the c-th coarsest). One scale feeds
 * stack 0.
 *
 * @example
 * ```ts
 * dispatchStacks(3, 8); // [0, 4, 7]: S/8 features into stack 1, S/4 into 5, S/2 into 8
 * dispatchStacks(3, 3); // [0, 1, 2]
 * ```
 */
export function dispatchStacks(scales: number, stacks: number): number[] {
  if (scales === 1) return [0];
  return Array.from({ length: scales }, (_, c) => Math.round((c * (stacks - 1)) / (scales - 1)));
}

/**
 * Under `every`: for each stack, the scale (0 = coarsest) whose features it receives. Every stack
 * gets one; the scale never gets finer towards the front, the first stack gets the coarsest and
 * the last the finest, and the stacks are shared out in consecutive runs as evenly as possible
 * (`floor(s * scales / stacks)` for stack s).
 *
 * @example
 * ```ts
 * dispatchScales(3, 8); // [0, 0, 0, 1, 1, 1, 2, 2]: S/8 (32 px) into stacks 1-3, S/4 into 4-6, S/2 into 7-8
 * dispatchScales(3, 3); // [0, 1, 2]
 * ```
 */
export function dispatchScales(scales: number, stacks: number): number[] {
  return Array.from({ length: stacks }, (_, s) => Math.floor((s * scales) / stacks));
}

/**
 * The stack -> scale map of a rule: `result[s]` is the scale (0 = coarsest) stack s receives, or
 * -1 for none.
 *
 * @example
 * ```ts
 * stackScales("spread", 3, 8); // [0, -1, -1, -1, 1, -1, -1, 2]
 * ```
 */
export function stackScales(rule: DispatchRule, scales: number, stacks: number): number[] {
  if (rule === "every") return dispatchScales(scales, stacks);
  const out = new Array<number>(stacks).fill(-1);
  dispatchStacks(scales, stacks).forEach((s, c) => (out[s] = c));
  return out;
}

/**
 * The side, relative to the stacks' heatmap side S/4, of the features scale c (0 = coarsest)
 * comes from before it is resampled: the trunk's level k = scales - 1 - c runs at S/2^(k+1),
 * i.e. `2 / 2^k` times the heatmap side (S = 256, 3 scales: 32, 64, 128 px -> 0.5, 1, 2).
 *
 * @example
 * ```ts
 * scaleResolution(0, 3); // 0.5
 * ```
 */
export function scaleResolution(c: number, scales: number): number {
  const k = scales - 1 - c;
  return 2 / 2 ** k;
}

/**
 * A bottom-up trunk of residual modules (the paper's Fig. 3 is missing from our copy; §5.2.3
 * says it borrows FPN's idea of reducing the map step by step through the building block, and
 * that lateral connections hurt, so there are none). From the stem's `[B, S/2, S/2, 64]` map:
 *
 * ```
 * level 0 = Block(64→F)                        // S/2
 * level k = Block(F→F)(maxpool2x2(level k-1))  // S/2^(k+1)
 * ```
 *
 * Each level is brought to the stacks' resolution S/4 (level 0 max-pooled, level 1 as is, deeper
 * levels nearest-upsampled: the hourglasses all run at S/4, and the paper fuses "by pixel-wise
 * add", §5.2.4) and added pixel-wise to the input of the stacks `stackScales` gives it. With S = 256 and 3 scales the levels are 128, 64 and 32 pixels wide, the
 * resolutions the paper dispatches.
 *
 * @example
 * ```ts
 * const pre = new PreProcessing(b, 3, 256, "inception-resnet-a");
 * const feats = pre.apply(early, ctx); // coarsest first, each [B, S/4, S/4, F]
 * ```
 */
export class PreProcessing {
  private readonly blocks: Block[] = [];
  private readonly pools: tf.layers.Layer[] = [];
  private readonly resize: (tf.layers.Layer | undefined)[] = [];

  constructor(b: Builder, readonly scales: number, features: number, block: BlockKind) {
    for (let k = 0; k < scales; k++) {
      if (k > 0) this.pools.push(b.pool(`pre.${k}.pool`));
      this.blocks.push(
        makeBlock(b, block, `pre.${k}`, k === 0 ? STEM_CHANNELS : features, features),
      );
      this.resize.push(
        k === 0 ? b.pool(`pre.${k}.down`) : k === 1 ? undefined : b.up(`pre.${k}.up`, 2 ** (k - 1)),
      );
    }
  }

  /** Features at S/4, coarsest first. */
  apply<T extends Flow>(early: T, ctx: RunContext): T[] {
    const out: T[] = [];
    let h = early;
    for (let k = 0; k < this.scales; k++) {
      if (k > 0) h = call(this.pools[k - 1]!, h, ctx);
      h = this.blocks[k]!.apply(h, ctx);
      const r = this.resize[k];
      out.push(r ? call(r, h, ctx) : h);
    }
    return out.reverse();
  }
}

/** What the dispatch reads of an MSSH config. */
export interface DispatchSpec {
  readonly scales: number;
  readonly stacks: number;
  readonly features: number;
  readonly block: BlockKind;
  readonly dispatch: DispatchRule;
}

/**
 * The pre-processing network and the pixel-wise adds (`stacks.${s}.dispatch`) that put its
 * features into the stack inputs, following `stackScales`: "the input to each hourglass network
 * consists of two parts, one is the dispatched feature of pre-processing network and another is
 * the output of the pre-level hourglass network" (§3).
 *
 * @example
 * ```ts
 * const dispatch = new Dispatch(b, { scales: 3, stacks: 8, features: 256, block: "inception-resnet-a", dispatch: "every" });
 * const fed = dispatch.features(stem.early, ctx);
 * x = dispatch.into(0, x, fed[0], ctx); // before stack 1
 * ```
 */
export class Dispatch {
  private readonly pre: PreProcessing;
  /** `scaleOf[s]`: the scale (0 = coarsest) stack s receives, -1 for none. */
  private readonly scaleOf: readonly number[];
  private readonly adds: readonly (tf.layers.Layer | undefined)[];

  constructor(b: Builder, spec: DispatchSpec) {
    this.scaleOf = stackScales(spec.dispatch, spec.scales, spec.stacks);
    this.pre = new PreProcessing(b, spec.scales, spec.features, spec.block);
    this.adds = this.scaleOf.map((c, s) => (c >= 0 ? b.sum(`stacks.${s}.dispatch`) : undefined));
  }

  /** Runs the pre-processing on the stem's S/2 features: per stack, the feature it receives. */
  features<T extends Flow>(early: T, ctx: RunContext): (T | undefined)[] {
    const byScale = this.pre.apply(early, ctx); // coarsest first
    ctx.record?.("pre-processing", byScale);
    return this.scaleOf.map((c) => (c >= 0 ? byScale[c] : undefined));
  }

  /** Stack `s`'s input: `x` plus its dispatched feature, if it has one. */
  into<T extends Flow>(s: number, x: T, feature: T | undefined, ctx: RunContext): T {
    const add = this.adds[s];
    return add && feature ? call(add, [x, feature], ctx) : x;
  }
}

/**
 * MSSH §4.1 draws "the 2-D Gaussian heatmap of the ith keypoint at the jth level" with a
 * standard deviation per level: "the standard deviation of the heatmap on the small scale is
 * large, and the standard deviation of the heatmap on the large scale is small". Our reading: a
 * stack fed with pre-processing features coarser than its heatmaps (S/8 features, 32 px, for
 * 64 px heatmaps) is supervised with the ground truth of that coarser scale (GT/2: σ in GT/2
 * pixels, twice as wide at the heatmaps' resolution); a stack fed with features at or finer than
 * its heatmaps keeps the heatmaps' own ground truth (a narrower blob than σ = 1 would be
 * sub-pixel). The paper gives no values. Returns one factor per stack (1 for the other kinds,
 * which have one shared ground truth).
 *
 * @example
 * ```ts
 * stackTargetFactors(resolveModelConfig({ kind: "mssh", stacks: 8, scales: 3 })); // [2, 2, 2, 1, 1, 1, 1, 1]
 * ```
 */
export function stackTargetFactors(config: ModelConfig): number[] {
  if (config.kind !== "mssh") return new Array(config.stacks).fill(1);
  return stackScales(config.dispatch, config.scales, config.stacks).map((c) =>
    c < 0 ? 1 : Math.max(1, Math.round(1 / scaleResolution(c, config.scales)))
  );
}
