/**
 * The small units the modules are drawn with, each one box of a figure: a convolution with its
 * BatchNorm and ReLU (before it in the residual modules, after it in the stem and the stack's
 * feature layer, like princeton-vl's `Conv`), and a chain of units. A unit holds the same named
 * tfjs layers the figure's box stands for, so the saved graph and the weight names are those of
 * the layers themselves.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type Builder, call, type ConvSpec, type Flow, type RunContext } from "./layers.ts";

/** Anything that maps `[B, H, W, C]` to `[B, H, W, C']` (symbolic or real tensors alike). */
export interface Module {
  apply<T extends Flow>(x: T, ctx: RunContext): T;
}

/**
 * Runs layers one after the other, each on the previous one's output; on real tensors inside a
 * `tf.tidy` of their own, so that only the unit's output and what the gradient tape saved
 * outlive it. In a training step that frees each BatchNorm output as soon as its ReLU has run
 * (the ReLU's gradient reads its own output, batchnorm.ts): without the scope every BatchNorm
 * output of the network stayed alive until `forward`'s tidy closed, and the forward pass's end
 * was the step's peak (bench/RESULTS.md, "training memory"). Same ops, same values; building
 * the graph (symbolic tensors) runs unscoped.
 */
function runLayers<T extends Flow>(
  layers: readonly tf.layers.Layer[],
  x: T,
  ctx: RunContext,
): T {
  const run = () => layers.reduce((h, layer) => call(layer, h, ctx), x);
  return x instanceof tf.Tensor ? tf.tidy(() => run() as tf.Tensor) as T : run();
}

/** The names of a unit's three layers (PyTorch-style module paths, see layers.ts). */
export interface UnitNames {
  readonly bn: string;
  readonly relu: string;
  readonly conv: string;
}

/**
 * Pre-activation: `conv(ReLU(BN(x)))`, the unit every convolution of a residual module is
 * (He et al.'s ordering, which Newell's bottleneck uses).
 *
 * @example
 * ```ts
 * const u = new PreActConv(b, { bn: "r.bn1", relu: "r.relu1", conv: "r.conv1" }, { filters: 64, kernel: 1, inChannels: 128 });
 * const y = u.apply(x, ctx); // [B, H, W, 64]
 * ```
 */
export class PreActConv implements Module {
  /** BN, ReLU, conv, in the order they run (the forward pass applies them in turn). */
  private readonly layers: readonly tf.layers.Layer[];

  constructor(b: Builder, names: UnitNames, spec: ConvSpec) {
    this.layers = [b.bn(names.bn), b.relu(names.relu), b.conv(names.conv, spec)];
  }

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    return runLayers(this.layers, x, ctx);
  }
}

/**
 * Post-activation: `ReLU(BN(conv(x)))` with layers `${name}.conv`, `${name}.bn`, `${name}.relu`
 * (princeton-vl's `Conv(bn=True, relu=True)`): the stem's first convolution, a stack's feature
 * layer, the MSR-net's input.
 *
 * @example
 * ```ts
 * const feat = new ConvBnRelu(b, "stacks.0.feat", { filters: 256, kernel: 1, inChannels: 256 });
 * ```
 */
export class ConvBnRelu implements Module {
  /** conv, BN, ReLU, created in that order. */
  private readonly layers: readonly tf.layers.Layer[];

  constructor(b: Builder, name: string, spec: ConvSpec) {
    this.layers = [b.conv(`${name}.conv`, spec), b.bn(`${name}.bn`), b.relu(`${name}.relu`)];
  }

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    return runLayers(this.layers, x, ctx);
  }
}

/**
 * `ReLU(BN(x))` alone: a pre-activation shared by several convolutions (the two branches of
 * inception-resnet-A read one normalised input).
 *
 * @example
 * ```ts
 * const act = new BnRelu(b, { bn: "r.bn", relu: "r.relu" });
 * ```
 */
export class BnRelu implements Module {
  private readonly layers: readonly tf.layers.Layer[];

  constructor(b: Builder, names: Omit<UnitNames, "conv">) {
    this.layers = [b.bn(names.bn), b.relu(names.relu)];
  }

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    return runLayers(this.layers, x, ctx);
  }
}

/**
 * A bare convolution as a unit, for a chain whose input is already activated.
 *
 * @example
 * ```ts
 * const reduce = new Conv(b, "r.a.conv1", { filters: 64, kernel: 1, inChannels: 256 });
 * ```
 */
export class Conv implements Module {
  private readonly conv: tf.layers.Layer;

  constructor(b: Builder, name: string, spec: ConvSpec) {
    this.conv = b.conv(name, spec);
  }

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    return call(this.conv, x, ctx);
  }
}

/**
 * Units run one after the other (PyTorch's `nn.Sequential`).
 *
 * @example
 * ```ts
 * const body = new Sequential([unit1, unit2, unit3]);
 * const y = body.apply(x, ctx);
 * ```
 */
export class Sequential implements Module {
  constructor(private readonly units: readonly Module[]) {}

  apply<T extends Flow>(x: T, ctx: RunContext): T {
    return this.units.reduce((h, unit) => unit.apply(h, ctx), x);
  }
}
