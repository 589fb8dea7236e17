/**
 * Ke et al.'s multi-scale regression network (MSR-net, §III-B).
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { BlockKind, ModelConfig, MsrConfig } from "./config.ts";
import { type Builder, call, type Flow, type RunContext } from "./layers.ts";
import { Stack } from "./stack.ts";
import { ConvBnRelu } from "./units.ts";

/**
 * The heatmap factors the MSR-net emits under a config: `model.msr.factors` for `mss-msr`, none
 * for the other kinds (which have no MSR-net).
 *
 * @example
 * ```ts
 * msrFactors(modelDefaults("mss-msr")); // [1, 2, 4, 8]
 * msrFactors(modelDefaults("mss")); // []
 * ```
 */
export function msrFactors(cfg: ModelConfig): readonly number[] {
  return cfg.kind === "mss-msr" ? cfg.msr.factors : [];
}

/**
 * A fully convolutional regression network after the last stack. The paper gives no layer list;
 * ours is a small stack of its own:
 *
 * ```
 * in   = concat(upsample_nearest_f(heatmaps at factor f) for each factor of the last stack
 *               [, last stack's features])                  // [B, S/4, S/4, J·n (+F)]
 * x    = ReLU(BN(conv1x1(in→M)))
 * out  = Stack(M, depth, residuals, factors)(x)             // refined heatmaps at each factor
 * ```
 *
 * Its hourglass sees all scales at once, so a heatmap is refined with the other keypoints and
 * the other scales in its receptive field; its outputs are supervised at every factor of
 * `msr.factors` with the structure-aware loss.
 *
 * @example
 * ```ts
 * const msr = new Msr(b, cfg.msr, [1, 2, 4, 8], 16, 256, "bottleneck");
 * const refined = msr.apply(lastStack.heatmaps, lastStack.feat, ctx);
 * ```
 */
export class Msr {
  private readonly ups: (tf.layers.Layer | undefined)[];
  private readonly cat: tf.layers.Layer | undefined;
  private readonly in: ConvBnRelu;
  private readonly stack: Stack;

  constructor(
    b: Builder,
    private readonly cfg: MsrConfig,
    stackFactors: readonly number[],
    joints: number,
    stackFeatures: number,
    block: BlockKind,
  ) {
    const inputs = stackFactors.length + (cfg.withFeatures ? 1 : 0);
    const inC = joints * stackFactors.length + (cfg.withFeatures ? stackFeatures : 0);
    [this.ups, this.cat, this.in] = b.within("msr input", () =>
      [
        stackFactors.map((f) => (f === 1 ? undefined : b.up(`msr.up.${f}`, f))),
        inputs > 1 ? b.concat("msr.cat") : undefined,
        new ConvBnRelu(b, "msr.in", { filters: cfg.features, kernel: 1, inChannels: inC }),
      ] as const);
    this.stack = new Stack(b, "msr", "msr", {
      features: cfg.features,
      joints,
      depth: cfg.depth,
      residuals: cfg.residuals,
      block,
      factors: cfg.factors,
    });
  }

  /** Refined heatmaps at each factor of `msr.factors`. */
  apply<T extends Flow>(heatmaps: readonly T[], feat: T, ctx: RunContext): readonly T[] {
    const parts = heatmaps.map((h, i) => {
      const up = this.ups[i];
      return up ? call(up, h, ctx) : h;
    });
    if (this.cfg.withFeatures) parts.push(feat);
    const joined = this.cat ? call(this.cat, parts, ctx) : parts[0]!;
    const x = this.in.apply(joined, ctx);
    ctx.record?.("msr input", [x]);
    return this.stack.apply(x, ctx).heatmaps;
  }
}
