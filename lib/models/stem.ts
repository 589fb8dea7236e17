/**
 * The stem (Newell §3.2): from the 256x256 image to 64x64 features.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { Residual } from "./blocks.ts";
import { type Builder, call, type Flow, type RunContext } from "./layers.ts";
import { ConvBnRelu } from "./units.ts";

/** Channels of the first convolution. */
export const STEM_CHANNELS = 64;

/** The stem's two outputs. */
export interface StemOutput<T extends Flow> {
  /** `[B, S/2, S/2, 64]` after the 7x7 conv-BN-ReLU (MSSH's pre-processing reads this). */
  readonly early: T;
  /** `[B, S/4, S/4, F]`, the input of the first stack. */
  readonly out: T;
}

/**
 * ```
 * conv7x7 stride 2 (3→64, zero padding 3 as in PyTorch) - BN - ReLU   // S/2
 * Residual(64→128) - maxpool 2x2 - Residual(128→128) - Residual(128→F) // S/4
 * ```
 *
 * The stem always uses bottleneck residuals, whatever block the stacks use.
 *
 * @example
 * ```ts
 * const stem = new Stem(b, 256);
 * const { out } = stem.apply(images, ctx); // [B, 64, 64, 256] for 256x256 images
 * ```
 */
export class Stem {
  private readonly pad: tf.layers.Layer;
  private readonly conv: ConvBnRelu;
  private readonly res1: Residual;
  private readonly pool: tf.layers.Layer;
  private readonly res2: Residual;
  private readonly res3: Residual;

  constructor(b: Builder, features: number) {
    // "same" padding would pad 2 before and 3 after for stride 2; PyTorch pads 3 on each side.
    this.pad = b.pad("stem.pad", 3);
    this.conv = new ConvBnRelu(b, "stem", {
      filters: STEM_CHANNELS,
      kernel: 7,
      strides: 2,
      padding: "valid",
      inChannels: 3,
      // It reads the images: training needs no gradient for its input.
      inputGradient: false,
    });
    this.res1 = new Residual(b, "stem.res1", STEM_CHANNELS, 128);
    this.pool = b.pool("stem.pool");
    this.res2 = new Residual(b, "stem.res2", 128, 128);
    this.res3 = new Residual(b, "stem.res3", 128, features);
  }

  apply<T extends Flow>(x: T, ctx: RunContext): StemOutput<T> {
    const early = this.conv.apply(call(this.pad, x, ctx), ctx);
    let h = this.res1.apply(early, ctx);
    h = this.res2.apply(call(this.pool, h, ctx), ctx);
    return { early, out: this.res3.apply(h, ctx) };
  }
}
