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
import { FUSED_RELU } from "./batchnorm.ts";
import { nativeBatchNormReluOn } from "../backend/native_bnorm_train.ts";

/** Anything that maps `[B, H, W, C]` to `[B, H, W, C']` (symbolic or real tensors alike). */
export interface Module {
  apply<T extends Flow>(x: T, ctx: RunContext): T;
}

/** The part of tfjs-core's engine (4.22) that records the gradient tape. */
interface TapeEngine {
  state: {
    activeTape:
      | { kernelName: string; outputs: tf.Tensor[]; saved?: tf.Tensor[] }[]
      | null
      | undefined;
  };
}

/**
 * Kernels whose gradients read only the shapes of the tensors they saved (tfjs-core 4.22
 * `Add_grad`: broadcasting; `Concat_grad`: where to split).
 */
const SHAPE_ONLY_SAVES = new Set(["Add", "Concat"]);
/**
 * tfjs's fused convolution on the tape (tfjs-layers' Conv2D runs it), and the position of its
 * output among what it saves (`[filter, x, y, bias]`).
 */
const FUSED_CONV = "fusedConv2d__op", FUSED_CONV_OUTPUT = 2;

function isLinearConv(layer: tf.layers.Layer): boolean {
  const activation = (layer as unknown as { activation?: { getClassName(): string } }).activation;
  return layer.getClassName() === "Conv2D" && activation?.getClassName() === "linear";
}

/**
 * {@link call}, then, in a training pass, frees the tape's saved copies that the gradients of
 * what the layer ran never read: both inputs of an Add and the inputs of a Concat (their
 * gradients read only shapes, which a disposed tensor keeps), and the output of a convolution
 * with a linear activation (tfjs saves it for the activation's derivative; linear has none).
 * The gradients are computed exactly as before; the tensors stop being held from the forward
 * pass to the backward pass. In a residual module that frees the last convolution's output,
 * which PyTorch does not keep either (bench/RESULTS.md, "training memory").
 *
 * @example
 * ```ts
 * const y = callLean(add, [h, x], { training: true });
 * ```
 */
export function callLean<T extends Flow>(layer: tf.layers.Layer, x: T | T[], ctx: RunContext): T {
  const tape = (tf.engine() as unknown as TapeEngine).state.activeTape;
  const first = Array.isArray(x) ? x[0] : x;
  if (!ctx.training || tape == null || !(first instanceof tf.Tensor)) return call(layer, x, ctx);
  const from = tape.length;
  const y = call(layer, x, ctx);
  const linearConv = isLinearConv(layer);
  for (const node of tape.slice(from)) {
    if (SHAPE_ONLY_SAVES.has(node.kernelName)) {
      for (const t of node.saved ?? []) t.dispose();
    } else if (linearConv && node.kernelName === FUSED_CONV) {
      node.saved?.[FUSED_CONV_OUTPUT]?.dispose();
    }
  }
  return y;
}

/**
 * Runs `f` on real tensors inside a `tf.tidy` (only its result and the tape's saved tensors
 * survive), on symbolic ones as it is.
 *
 * @example
 * ```ts
 * const y = scoped(x, () => callLean(add, [h, x], ctx));
 * ```
 */
export function scoped<R>(x: Flow, f: () => R): R {
  // tf.tidy keeps every tensor of what f returns (a tensor, or objects and arrays of them).
  return x instanceof tf.Tensor
    ? tf.tidy(() => f() as unknown as tf.TensorContainer) as unknown as R
    : f();
}

/**
 * Whether `layer` then `next` is a BatchNorm and a plain ReLU that a training pass on the native
 * path runs as one op (batchnorm.ts's {@link FUSED_RELU}): one oneDNN kernel each way instead of
 * a BatchNorm kernel, a Relu, and a Step and a Multiply for its gradient. Both layers stay in
 * the model, so weight names and saved models do not change.
 */
function fusesWithRelu(
  layer: tf.layers.Layer,
  next: tf.layers.Layer | undefined,
  x: Flow,
  ctx: RunContext,
): boolean {
  return ctx.training && layer.trainable && x instanceof tf.Tensor && next !== undefined &&
    layer.getClassName() === "BatchNormalization" && next.getClassName() === "ReLU" &&
    (next as unknown as { maxValue?: number | null }).maxValue == null && nativeBatchNormReluOn();
}

/**
 * Runs layers one after the other, each on the previous one's output; on real tensors inside a
 * `tf.tidy` of their own, so that only the unit's output and what the gradient tape saved
 * outlive it. In a training step that frees each BatchNorm output as soon as its ReLU has run
 * (the ReLU's gradient reads its own output, batchnorm.ts): without the scope every BatchNorm
 * output of the network stayed alive until `forward`'s tidy closed, and the forward pass's end
 * was the step's peak (bench/RESULTS.md, "training memory"). Same ops, same values; building
 * the graph (symbolic tensors) runs unscoped. A BatchNorm and the ReLU after it run as one op
 * in a training pass on the native path ({@link fusesWithRelu}).
 */
function runLayers<T extends Flow>(
  layers: readonly tf.layers.Layer[],
  x: T,
  ctx: RunContext,
): T {
  return scoped(x, () => {
    let h = x;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i]!;
      if (fusesWithRelu(layer, layers[i + 1], h, ctx)) {
        h = layer.apply(h as tf.Tensor, { training: true, [FUSED_RELU]: true }) as unknown as T;
        i++; // the ReLU ran inside
      } else {
        h = callLean(layer, h, ctx);
      }
    }
    return h;
  });
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
    return callLean(this.conv, x, ctx);
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
