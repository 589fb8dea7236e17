/**
 * MSSH's multi-scale pre-processing network (§3.2 of the MSSH paper) and the rule that
 * dispatches its features into the stacks.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { type Block, makeBlock } from "./blocks.ts";
import type { BlockKind, DispatchRule } from "./config.ts";
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
