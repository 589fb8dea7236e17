/**
 * The whole network as an explicit loop over stacks, like the paper figures: stem, (MSSH
 * pre-processing, mssh.ts), stacks with their heads and merges, (MSR-net, msr.ts).
 *
 * @module
 */

import type { ModelConfig } from "./config.ts";
import type { Builder, Flow, RunContext } from "./layers.ts";
import { Msr } from "./msr.ts";
import { stackFactors } from "./mss.ts";
import { Dispatch } from "./mssh.ts";
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
  /** MSSH only: the pre-processing network and where its features go. */
  private readonly mssh: Dispatch | undefined;
  private readonly stacks: readonly Stack[];
  private readonly merges: readonly Merge[];
  private readonly msr: Msr | undefined;

  constructor(b: Builder, readonly cfg: ModelConfig) {
    const { features, joints } = cfg;
    this.stem = b.within("stem", () => new Stem(b, features));
    this.mssh = cfg.kind === "mssh"
      ? b.within("pre-processing", () => new Dispatch(b, cfg))
      : undefined;
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
    const dispatched = this.mssh?.features(stem.early, ctx) ?? [];

    let x = stem.out;
    const heatmaps: (readonly T[])[] = [];
    let last: { feat: T; heatmaps: readonly T[] } | undefined;
    for (let i = 0; i < this.stacks.length; i++) {
      if (this.mssh) x = this.mssh.into(i, x, dispatched[i], ctx);
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
