/**
 * Residual modules: Newell's pre-activation bottleneck (Fig. 4 left of the hourglass paper, as in
 * princeton-vl/pytorch_stacked_hourglass) and MSSH's inception-resnet-A (its Fig. 4a), drawn
 * with the units of units.ts.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { BlockKind } from "./config.ts";
import { type Builder, type Flow, type RunContext } from "./layers.ts";
import { BnRelu, callLean, Conv, type Module, PreActConv, scoped, Sequential } from "./units.ts";

/** A module mapping `[B, H, W, in]` to `[B, H, W, out]`. */
export type Block = Module;

/**
 * The identity when the channels agree, else a 1x1 convolution `${name}.skip` (princeton-vl
 * always creates one and leaves it unused, which adds parameters to PyTorch's count but not to
 * the network).
 */
function skipConv(
  b: Builder,
  name: string,
  inC: number,
  outC: number,
): tf.layers.Layer | undefined {
  return inC === outC
    ? undefined
    : b.conv(`${name}.skip`, { filters: outC, kernel: 1, inChannels: inC });
}

/**
 * The bottleneck residual module:
 * `BN-ReLU-conv1x1(in→out/2) - BN-ReLU-conv3x3(out/2→out/2) - BN-ReLU-conv1x1(out/2→out)`,
 * plus the input (identity, or a 1x1 conv when `in != out`). Convolutions have biases. Layer
 * names: `${name}.bn1`, `.relu1`, `.conv1`, ... `.conv3`, `.skip`, `.add`.
 *
 * @example
 * ```ts
 * const r = new Residual(b, "stem.res1", 64, 128);
 * const y = r.apply(x, { training: false }); // [B, H, W, 128]
 * ```
 */
export class Residual implements Block {
  private readonly body: Sequential;
  private readonly skip: tf.layers.Layer | undefined;
  private readonly add: tf.layers.Layer;

  constructor(b: Builder, name: string, inC: number, outC: number) {
    const mid = outC / 2;
    const unit = (i: number, inChannels: number, filters: number, kernel: number) =>
      new PreActConv(
        b,
        { bn: `${name}.bn${i}`, relu: `${name}.relu${i}`, conv: `${name}.conv${i}` },
        { filters, kernel, inChannels },
      );
    this.body = new Sequential([unit(1, inC, mid, 1), unit(2, mid, mid, 3), unit(3, mid, outC, 1)]);
    this.skip = skipConv(b, name, inC, outC);
    this.add = b.sum(`${name}.add`);
  }

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    // In a scope of its own: the last convolution's output is freed with the block (callLean).
    return scoped(x, () => {
      const h = this.body.apply(x, ctx);
      return callLean(this.add, [h, this.skip ? callLean(this.skip, x, ctx) : x], ctx);
    });
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
  private readonly act: BnRelu;
  /** Branch a then branch b, both reading `act`'s output. */
  private readonly branches: readonly [Sequential, Sequential];
  private readonly cat: tf.layers.Layer;
  private readonly proj: PreActConv;
  private readonly skip: tf.layers.Layer | undefined;
  private readonly add: tf.layers.Layer;

  constructor(b: Builder, name: string, inC: number, outC: number) {
    const m = outC / 4;
    const reduce = (branch: string) =>
      new Conv(b, `${name}.${branch}.conv1`, { filters: m, kernel: 1, inChannels: inC });
    // The i-th BN-ReLU of a branch feeds its (i+1)-th convolution.
    const conv3x3 = (branch: string, i: number) =>
      new PreActConv(b, {
        bn: `${name}.${branch}.bn${i}`,
        relu: `${name}.${branch}.relu${i}`,
        conv: `${name}.${branch}.conv${i + 1}`,
      }, { filters: m, kernel: 3, inChannels: m });
    this.act = new BnRelu(b, { bn: `${name}.bn`, relu: `${name}.relu` });
    this.branches = [
      new Sequential([reduce("a"), conv3x3("a", 1)]),
      new Sequential([reduce("b"), conv3x3("b", 1), conv3x3("b", 2)]),
    ];
    this.cat = b.concat(`${name}.cat`);
    this.proj = new PreActConv(
      b,
      { bn: `${name}.cat.bn`, relu: `${name}.cat.relu`, conv: `${name}.proj` },
      { filters: outC, kernel: 1, inChannels: 2 * m },
    );
    this.skip = skipConv(b, name, inC, outC);
    this.add = b.sum(`${name}.add`);
  }

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    return scoped(x, () => {
      const h = this.act.apply(x, ctx);
      const joined = callLean(this.cat, this.branches.map((branch) => branch.apply(h, ctx)), ctx);
      const y = this.proj.apply(joined, ctx);
      return callLean(this.add, [y, this.skip ? callLean(this.skip, x, ctx) : x], ctx);
    });
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
 * A chain of `n` blocks named `${name}.0` ... `${name}.${n-1}`; the first maps `inC` to `outC`,
 * the rest keep `outC`.
 *
 * @example
 * ```ts
 * const up1 = chain(b, "bottleneck", "stacks.0.hg.up1", 2, 256, 256); // 2 residuals
 * ```
 */
export function chain(
  b: Builder,
  kind: BlockKind,
  name: string,
  n: number,
  inC: number,
  outC: number,
): Sequential {
  return new Sequential(
    Array.from(
      { length: n },
      (_, i) => makeBlock(b, kind, `${name}.${i}`, i === 0 ? inC : outC, outC),
    ),
  );
}
