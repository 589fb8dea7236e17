/**
 * Residual modules: Newell's pre-activation bottleneck (Fig. 4 left of the hourglass paper, as in
 * princeton-vl/pytorch_stacked_hourglass) and MSSH's inception-resnet-A (its Fig. 4a).
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { BlockKind } from "./config.ts";
import { type Builder, call, type Flow, type RunContext } from "./layers.ts";

/** A module mapping `[B, H, W, in]` to `[B, H, W, out]`. */
export interface Block {
  apply<T extends Flow>(x: T, ctx: RunContext): T;
}

/**
 * The bottleneck residual module:
 * `BN-ReLU-conv1x1(in→out/2) - BN-ReLU-conv3x3(out/2→out/2) - BN-ReLU-conv1x1(out/2→out)`,
 * plus the input (identity, or a 1x1 conv when `in != out`). Convolutions have biases.
 *
 * @example
 * ```ts
 * const r = new Residual(b, "stem.res1", 64, 128);
 * const y = r.apply(x, { training: false }); // [B, H, W, 128]
 * ```
 */
export class Residual implements Block {
  private readonly bn1: tf.layers.Layer;
  private readonly relu1: tf.layers.Layer;
  private readonly conv1: tf.layers.Layer;
  private readonly bn2: tf.layers.Layer;
  private readonly relu2: tf.layers.Layer;
  private readonly conv2: tf.layers.Layer;
  private readonly bn3: tf.layers.Layer;
  private readonly relu3: tf.layers.Layer;
  private readonly conv3: tf.layers.Layer;
  private readonly skip: tf.layers.Layer | undefined;
  private readonly add: tf.layers.Layer;

  constructor(b: Builder, name: string, inC: number, outC: number) {
    const mid = outC / 2;
    this.bn1 = b.bn(`${name}.bn1`);
    this.relu1 = b.relu(`${name}.relu1`);
    this.conv1 = b.conv(`${name}.conv1`, { filters: mid, kernel: 1, inChannels: inC });
    this.bn2 = b.bn(`${name}.bn2`);
    this.relu2 = b.relu(`${name}.relu2`);
    this.conv2 = b.conv(`${name}.conv2`, { filters: mid, kernel: 3, inChannels: mid });
    this.bn3 = b.bn(`${name}.bn3`);
    this.relu3 = b.relu(`${name}.relu3`);
    this.conv3 = b.conv(`${name}.conv3`, { filters: outC, kernel: 1, inChannels: mid });
    this.skip = inC === outC
      ? undefined
      : b.conv(`${name}.skip`, { filters: outC, kernel: 1, inChannels: inC });
    this.add = b.sum(`${name}.add`);
  }

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    let h = call(this.conv1, call(this.relu1, call(this.bn1, x, ctx), ctx), ctx);
    h = call(this.conv2, call(this.relu2, call(this.bn2, h, ctx), ctx), ctx);
    h = call(this.conv3, call(this.relu3, call(this.bn3, h, ctx), ctx), ctx);
    const residual = this.skip ? call(this.skip, x, ctx) : x;
    return call(this.add, [h, residual], ctx);
  }
}

/**
 * Inception-resnet-A, pre-activated like the bottleneck. The figure of the MSSH paper is not in
 * our copy; the text says two branches, concatenated, then a 1x1 convolution and a pixel-wise
 * add. With `m = out/4`, after a shared BN-ReLU of the input `x`:
 *
 * - branch a: `conv1x1(in→m) - BN-ReLU - conv3x3(m→m)` (3x3 receptive field)
 * - branch b: `conv1x1(in→m) - BN-ReLU - conv3x3(m→m) - BN-ReLU - conv3x3(m→m)` (5x5)
 * - `concat(a, b)` (2m = out/2 channels) `- BN-ReLU - conv1x1(out/2→out)`, plus the input
 *   (identity, or a 1x1 conv when `in != out`).
 *
 * @example
 * ```ts
 * const r = new InceptionResNetA(b, "stacks.0.hg.up1.0", 256, 256);
 * ```
 */
export class InceptionResNetA implements Block {
  private readonly bn: tf.layers.Layer;
  private readonly relu: tf.layers.Layer;
  private readonly a1: tf.layers.Layer;
  private readonly aBn: tf.layers.Layer;
  private readonly aRelu: tf.layers.Layer;
  private readonly a2: tf.layers.Layer;
  private readonly b1: tf.layers.Layer;
  private readonly bBn1: tf.layers.Layer;
  private readonly bRelu1: tf.layers.Layer;
  private readonly b2: tf.layers.Layer;
  private readonly bBn2: tf.layers.Layer;
  private readonly bRelu2: tf.layers.Layer;
  private readonly b3: tf.layers.Layer;
  private readonly cat: tf.layers.Layer;
  private readonly catBn: tf.layers.Layer;
  private readonly catRelu: tf.layers.Layer;
  private readonly proj: tf.layers.Layer;
  private readonly skip: tf.layers.Layer | undefined;
  private readonly add: tf.layers.Layer;

  constructor(b: Builder, name: string, inC: number, outC: number) {
    const m = outC / 4;
    this.bn = b.bn(`${name}.bn`);
    this.relu = b.relu(`${name}.relu`);
    this.a1 = b.conv(`${name}.a.conv1`, { filters: m, kernel: 1, inChannels: inC });
    this.aBn = b.bn(`${name}.a.bn1`);
    this.aRelu = b.relu(`${name}.a.relu1`);
    this.a2 = b.conv(`${name}.a.conv2`, { filters: m, kernel: 3, inChannels: m });
    this.b1 = b.conv(`${name}.b.conv1`, { filters: m, kernel: 1, inChannels: inC });
    this.bBn1 = b.bn(`${name}.b.bn1`);
    this.bRelu1 = b.relu(`${name}.b.relu1`);
    this.b2 = b.conv(`${name}.b.conv2`, { filters: m, kernel: 3, inChannels: m });
    this.bBn2 = b.bn(`${name}.b.bn2`);
    this.bRelu2 = b.relu(`${name}.b.relu2`);
    this.b3 = b.conv(`${name}.b.conv3`, { filters: m, kernel: 3, inChannels: m });
    this.cat = b.concat(`${name}.cat`);
    this.catBn = b.bn(`${name}.cat.bn`);
    this.catRelu = b.relu(`${name}.cat.relu`);
    this.proj = b.conv(`${name}.proj`, { filters: outC, kernel: 1, inChannels: 2 * m });
    this.skip = inC === outC
      ? undefined
      : b.conv(`${name}.skip`, { filters: outC, kernel: 1, inChannels: inC });
    this.add = b.sum(`${name}.add`);
  }

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    const h = call(this.relu, call(this.bn, x, ctx), ctx);
    const a = call(this.a2, call(this.aRelu, call(this.aBn, call(this.a1, h, ctx), ctx), ctx), ctx);
    let bb = call(
      this.b2,
      call(this.bRelu1, call(this.bBn1, call(this.b1, h, ctx), ctx), ctx),
      ctx,
    );
    bb = call(this.b3, call(this.bRelu2, call(this.bBn2, bb, ctx), ctx), ctx);
    const c = call(this.catRelu, call(this.catBn, call(this.cat, [a, bb], ctx), ctx), ctx);
    const residual = this.skip ? call(this.skip, x, ctx) : x;
    return call(this.add, [call(this.proj, c, ctx), residual], ctx);
  }
}

/**
 * Creates a residual module of the configured kind.
 *
 * @example
 * ```ts
 * const r = makeBlock(b, "inception-resnet-a", "stacks.0.res", 256, 256);
 * ```
 */
export function makeBlock(
  b: Builder,
  kind: BlockKind,
  name: string,
  inC: number,
  outC: number,
): Block {
  return kind === "bottleneck"
    ? new Residual(b, name, inC, outC)
    : new InceptionResNetA(b, name, inC, outC);
}

/**
 * A chain of `n` blocks; the first maps `inC` to `outC`, the rest keep `outC`.
 *
 * @example
 * ```ts
 * const up1 = new Chain(b, "bottleneck", "stacks.0.hg.up1", 2, 256, 256); // 2 residuals
 * ```
 */
export class Chain implements Block {
  private readonly blocks: Block[];

  constructor(b: Builder, kind: BlockKind, name: string, n: number, inC: number, outC: number) {
    this.blocks = Array.from(
      { length: n },
      (_, i) => makeBlock(b, kind, `${name}.${i}`, i === 0 ? inC : outC, outC),
    );
  }

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    return this.blocks.reduce((h, block) => block.apply(h, ctx), x);
  }
}
