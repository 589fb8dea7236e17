/**
 * One stack: an hourglass, its heads (intermediate supervision, Newell §3.3, and MSS-net's
 * multi-scale heads, mss.ts); and the merge that feeds a stack's output into the next.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { type Block, makeBlock } from "./blocks.ts";
import type { BlockKind } from "./config.ts";
import { Hourglass } from "./hourglass.ts";
import { type Builder, type Flow, type RunContext } from "./layers.ts";
import { MultiScaleHeads } from "./mss.ts";
import { callLean, ConvBnRelu, scoped } from "./units.ts";

/** Shape of a stack. */
export interface StackSpec {
  readonly features: number;
  readonly joints: number;
  readonly depth: number;
  readonly residuals: number;
  readonly block: BlockKind;
  /** Heatmap factors it emits, starting with 1. */
  readonly factors: readonly number[];
}

/** A stack's features and heatmaps. */
export interface StackOutput<T extends Flow> {
  /** `[B, H, W, F]` after the post-hourglass residual and the 1x1 conv-BN-ReLU. */
  readonly feat: T;
  /** `[B, H/f, W/f, J]` for each factor f of the spec, in order. */
  readonly heatmaps: readonly T[];
}

/**
 * ```
 * h    = Hourglass(depth, F)(x)          // plus its inner outputs at 1/2, 1/4, 1/8
 * h    = Residual(F, F)(h)
 * feat = ReLU(BN(conv1x1(F→F)(h)))
 * heatmaps[f = 1] = conv1x1(F→J)(feat)                       // "pred"
 * heatmaps[f > 1] = conv1x1(F→J)(hourglass output at 1/f)   // MSS-net heads (mss.ts)
 * ```
 *
 * The summary rows are `${label} hourglass`, `${label} features` and `${label} heads`.
 *
 * @example
 * ```ts
 * const s = new Stack(b, "stacks.0", "stack 1", { features: 256, joints: 16, depth: 4, residuals: 1, block: "bottleneck", factors: [1, 2, 4, 8] });
 * const { feat, heatmaps } = s.apply(x, ctx);
 * ```
 */
export class Stack {
  private readonly hg: Hourglass;
  private readonly res: Block;
  private readonly feat: ConvBnRelu;
  private readonly heads: MultiScaleHeads;

  constructor(b: Builder, name: string, private readonly label: string, spec: StackSpec) {
    const { features: f, joints } = spec;
    this.hg = b.within(
      `${label} hourglass`,
      () => new Hourglass(b, `${name}.hg`, spec.depth, f, spec.residuals, spec.block),
    );
    [this.res, this.feat] = b.within(`${label} features`, () =>
      [
        makeBlock(b, spec.block, `${name}.res`, f, f),
        new ConvBnRelu(b, `${name}.feat`, { filters: f, kernel: 1, inChannels: f }),
      ] as const);
    this.heads = b.within(
      `${label} heads`,
      () => new MultiScaleHeads(b, name, f, joints, spec.factors),
    );
  }

  apply<T extends Flow>(x: T, ctx: RunContext): StackOutput<T> {
    const { out, levels } = this.hg.apply(x, ctx);
    ctx.record?.(`${this.label} hourglass`, [out]);
    const feat = this.feat.apply(this.res.apply(out, ctx), ctx);
    ctx.record?.(`${this.label} features`, [feat]);
    const heatmaps = this.heads.apply(feat, levels, ctx);
    ctx.record?.(`${this.label} heads`, heatmaps);
    return { feat, heatmaps };
  }
}

/**
 * Feeds a stack's output into the next (Newell Fig. 4 right):
 * `x + conv1x1(F→F)(feat) + conv1x1(J→F)(pred)`.
 *
 * @example
 * ```ts
 * const m = new Merge(b, "stacks.0", 256, 16);
 * const next = m.apply(x, feat, pred, ctx);
 * ```
 */
export class Merge {
  private readonly featConv: tf.layers.Layer;
  private readonly predConv: tf.layers.Layer;
  private readonly add: tf.layers.Layer;

  constructor(b: Builder, name: string, features: number, joints: number) {
    this.featConv = b.conv(`${name}.merge_feat`, {
      filters: features,
      kernel: 1,
      inChannels: features,
    });
    this.predConv = b.conv(`${name}.merge_pred`, {
      filters: features,
      kernel: 1,
      inChannels: joints,
    });
    this.add = b.sum(`${name}.merge`);
  }

  apply<T extends Flow>(x: T, feat: T, pred: T, ctx: RunContext): T {
    return scoped(x, () =>
      callLean(this.add, [
        x,
        callLean(this.featConv, feat, ctx),
        callLean(this.predConv, pred, ctx),
      ], ctx));
  }
}
