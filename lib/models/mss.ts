/**
 * Ke et al.'s multi-scale supervision network (MSS-net, §III-A): a stacked hourglass whose every
 * stack also predicts heatmaps at 1/2, 1/4 and 1/8 of its resolution, each read by a 1x1
 * convolution from the hourglass's own deconvolution path at that scale (the outputs of its
 * inner hourglasses, `HourglassOutput.levels` in hourglass.ts), and supervised with the ground
 * truth down-sampled to match. This file holds what is MSS-net's own: which factors a stack
 * supervises and the heads that emit them (a stack builds them, stack.ts).
 *
 * The rest of the method lives with its pipeline stage, so that the model layer imports no loss
 * and the data layer no model:
 *
 * - the ground truth at each factor: `encodePyramid` / `downsampleHeatmaps` in
 *   lib/heatmap/pyramid.ts (`loss.pyramid` chooses pooled or redrawn levels);
 * - the loss summed over stacks and factors (`L = Σ_i L_i`): `multiScaleLoss` in
 *   lib/losses/multiscale.ts;
 * - the MSR-net that refines the last stack's multi-scale heatmaps: msr.ts.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "./config.ts";
import { type Builder, call, type Flow, type RunContext } from "./layers.ts";

/**
 * The heatmap factors each stack emits under a config, finest first: `model.factors` for
 * MSS-net (`mss`, `mss-msr`), only factor 1 (Newell's intermediate supervision) otherwise.
 *
 * @example
 * ```ts
 * stackFactors(modelDefaults("mss")); // [1, 2, 4, 8]
 * stackFactors(modelDefaults("hourglass")); // [1]
 * ```
 */
export function stackFactors(cfg: ModelConfig): readonly number[] {
  return cfg.kind === "mss" || cfg.kind === "mss-msr" ? cfg.factors : [1];
}

/**
 * The hourglass output a factor-`factor` head reads. `levels` are coarsest first (1/2^(n-1),
 * ..., 1/2 of the stack's resolution), so factor 2^k is the k-th from the end.
 */
function levelAt<T extends Flow>(levels: readonly T[], factor: number): T {
  const level = levels[levels.length - Math.log2(factor)];
  if (!level) {
    throw new Error(`no hourglass level at 1/${factor}: the hourglass has ${levels.length + 1}`);
  }
  return level;
}

/**
 * A stack's heads, one 1x1 convolution `F→J` per factor:
 *
 * ```
 * heatmaps[f = 1] = conv1x1(feat)                         // Newell's head, layer `${name}.out`
 * heatmaps[f > 1] = conv1x1(hourglass output at 1/f)      // MSS-net heads, `${name}.heads.${f}`
 * ```
 *
 * Only the factor-1 map is fed back into the next stack (stack.ts `Merge`).
 *
 * @example
 * ```ts
 * const heads = new MultiScaleHeads(b, "stacks.0", 256, 16, [1, 2, 4, 8]);
 * const heatmaps = heads.apply(feat, levels, ctx); // [B, H/f, W/f, 16] for each f
 * ```
 */
export class MultiScaleHeads {
  private readonly heads: readonly tf.layers.Layer[];

  constructor(
    b: Builder,
    name: string,
    features: number,
    joints: number,
    private readonly factors: readonly number[],
  ) {
    this.heads = factors.map((factor) =>
      b.conv(factor === 1 ? `${name}.out` : `${name}.heads.${factor}`, {
        filters: joints,
        kernel: 1,
        inChannels: features,
      })
    );
  }

  /** Heatmaps at each factor, in the order of the factors. */
  apply<T extends Flow>(feat: T, levels: readonly T[], ctx: RunContext): T[] {
    return this.factors.map((factor, i) =>
      call(this.heads[i]!, factor === 1 ? feat : levelAt(levels, factor), ctx)
    );
  }
}
