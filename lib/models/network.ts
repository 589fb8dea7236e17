/**
 * The whole network as an explicit loop over stacks, like the paper figures: stem, (MSSH
 * pre-processing), stacks with their heads and merges, (MSR-net).
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "./config.ts";
import { type Builder, call, type Flow, type RunContext } from "./layers.ts";
import { Msr } from "./msr.ts";
import { PreProcessing, stackScales } from "./preprocess.ts";
import { Merge, Stack } from "./stack.ts";
import { Stem } from "./stem.ts";

/** Raw outputs of the network, before they are named. */
export interface NetworkOutput<T extends Flow> {
  /** `[stack][i]`: heatmaps of each stack at its i-th factor. */
  readonly stacks: readonly (readonly T[])[];
  /** MSR-net's refined heatmaps at each of its factors. */
  readonly msr?: readonly T[];
}

/**
 * The heatmap factors each stack emits under a config.
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
 * Builds the layers of a config and runs them. `apply` takes symbolic tensors (to build the
 * `tf.LayersModel`) or real ones (forward passes), so the saved graph and the forward pass are
 * the same code.
 *
 * @example
 * ```ts
 * const net = new Network(new Builder(1), cfg);
 * const { stacks } = net.apply(images, { training: false });
 * ```
 */
export class Network {
  private readonly stem: Stem;
  private readonly pre: PreProcessing | undefined;
  /** `dispatch[s]`: the scale (0 = coarsest) stack s receives, -1 for none. */
  private readonly dispatch: readonly number[];
  /** `dispatchAdds[s]`: the pixel-wise add of stack s's input and its feature, if any. */
  private readonly dispatchAdds: readonly (tf.layers.Layer | undefined)[];
  private readonly stacks: readonly Stack[];
  private readonly merges: readonly Merge[];
  private readonly msr: Msr | undefined;

  constructor(b: Builder, readonly cfg: ModelConfig) {
    const { features, joints } = cfg;
    this.stem = b.within("stem", () => new Stem(b, features));
    if (cfg.kind === "mssh") {
      this.dispatch = stackScales(cfg.dispatch, cfg.scales, cfg.stacks);
      [this.pre, this.dispatchAdds] = b.within("pre-processing", () => [
        new PreProcessing(b, cfg.scales, features, cfg.block),
        this.dispatch.map((c, s) => (c >= 0 ? b.sum(`stacks.${s}.dispatch`) : undefined)),
      ]);
    } else {
      this.dispatch = [];
      this.dispatchAdds = [];
    }
    const spec = { ...cfg, factors: stackFactors(cfg) };
    const stacks: Stack[] = [];
    const merges: Merge[] = [];
    for (let i = 0; i < cfg.stacks; i++) {
      stacks.push(new Stack(b, `stacks.${i}`, `stack ${i + 1}`, spec));
      if (i < cfg.stacks - 1) {
        merges.push(
          b.within(`stack ${i + 1} merge`, () => new Merge(b, `stacks.${i}`, features, joints)),
        );
      }
    }
    this.stacks = stacks;
    this.merges = merges;
    this.msr = cfg.kind === "mss-msr"
      ? new Msr(b, cfg.msr, spec.factors, joints, features, cfg.block)
      : undefined;
  }

  apply<T extends Flow>(images: T, ctx: RunContext): NetworkOutput<T> {
    const stem = this.stem.apply(images, ctx);
    ctx.record?.("stem", [stem.out]);
    const dispatched = new Map<number, { feature: T; add: tf.layers.Layer }>();
    if (this.pre) {
      const features = this.pre.apply(stem.early, ctx); // coarsest first
      ctx.record?.("pre-processing", features);
      this.dispatch.forEach((c, s) => {
        const add = this.dispatchAdds[s];
        if (c >= 0 && add) dispatched.set(s, { feature: features[c]!, add });
      });
    }

    let x = stem.out;
    const heatmaps: (readonly T[])[] = [];
    let last: { feat: T; heatmaps: readonly T[] } | undefined;
    for (let i = 0; i < this.stacks.length; i++) {
      const d = dispatched.get(i);
      if (d) x = call(d.add, [x, d.feature], ctx);
      last = this.stacks[i]!.apply(x, ctx);
      heatmaps.push(last.heatmaps);
      const merge = this.merges[i];
      if (merge) {
        x = merge.apply(x, last.feat, last.heatmaps[0]!, ctx);
        ctx.record?.(`stack ${i + 1} merge`, [x]);
      }
    }
    const msr = this.msr && last ? this.msr.apply(last.heatmaps, last.feat, ctx) : undefined;
    return msr ? { stacks: heatmaps, msr } : { stacks: heatmaps };
  }
}
