/**
 * The recursive hourglass (Newell et al. Fig. 3), written like princeton-vl's `Hourglass(n, f)`.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { chain } from "./blocks.ts";
import type { BlockKind } from "./config.ts";
import { type Builder, call, type Flow, type RunContext } from "./layers.ts";
import { callLean, scoped, type Sequential } from "./units.ts";

/** An hourglass's output and the outputs of its inner hourglasses. */
export interface HourglassOutput<T extends Flow> {
  /** `[B, H, W, F]` at the input resolution. */
  readonly out: T;
  /**
   * `out` of Hourglass(1), ..., Hourglass(n-1), coarsest first: at 1/2^(n-1), ..., 1/2 of the
   * input resolution. MSS-net hangs its multi-scale heads on these (mss.ts; Ke et al. §III-A).
   */
  readonly levels: readonly T[];
}

/**
 * Hourglass(n, F):
 *
 * ```
 * up1  = residuals(x)                       // this resolution
 * low1 = residuals(maxpool2x2(x))           // half resolution
 * low2 = n > 1 ? Hourglass(n-1)(low1) : residuals(low1)
 * low3 = residuals(low2)
 * out  = up1 + upsample_nearest_x2(low3)
 * ```
 *
 * where `residuals` is a chain of `residuals` residual modules of F channels.
 *
 * @example
 * ```ts
 * const hg = new Hourglass(b, "stacks.0.hg", 4, 256, 1, "bottleneck");
 * const { out, levels } = hg.apply(x, ctx); // levels at 1/8, 1/4, 1/2 of x's side
 * ```
 */
export class Hourglass {
  private readonly up1: Sequential;
  private readonly pool: tf.layers.Layer;
  private readonly low1: Sequential;
  private readonly low2: Hourglass | Sequential;
  private readonly low3: Sequential;
  private readonly up: tf.layers.Layer;
  private readonly add: tf.layers.Layer;

  constructor(
    b: Builder,
    name: string,
    readonly n: number,
    features: number,
    residuals: number,
    block: BlockKind,
  ) {
    const residualsAt = (part: string) =>
      chain(b, block, `${name}.${part}`, residuals, features, features);
    this.up1 = residualsAt("up1");
    this.pool = b.pool(`${name}.pool`);
    this.low1 = residualsAt("low1");
    this.low2 = n > 1
      ? new Hourglass(b, `${name}.low2`, n - 1, features, residuals, block)
      : residualsAt("low2");
    this.low3 = residualsAt("low3");
    this.up = b.up(`${name}.up`);
    this.add = b.sum(`${name}.add`);
  }

  apply<T extends Flow>(x: T, ctx: RunContext): HourglassOutput<T> {
    // In a scope of its own: the sum's inputs are freed with it (callLean).
    return scoped(x, () => this.run(x, ctx));
  }

  private run<T extends Flow>(x: T, ctx: RunContext): HourglassOutput<T> {
    const up1 = this.up1.apply(x, ctx);
    const low1 = this.low1.apply(call(this.pool, x, ctx), ctx);
    let low2: T;
    let levels: readonly T[] = [];
    if (this.low2 instanceof Hourglass) {
      const inner = this.low2.apply(low1, ctx);
      low2 = inner.out;
      levels = [...inner.levels, inner.out];
    } else {
      low2 = this.low2.apply(low1, ctx);
    }
    const low3 = this.low3.apply(low2, ctx);
    const out = callLean(this.add, [up1, call(this.up, low3, ctx)], ctx);
    return { out, levels };
  }
}
