/**
 * Building a model from its config, and the forward pass.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { KitError } from "../io/errors.ts";
import { type ModelConfig, validateModelConfig } from "./config.ts";
import { Builder, type TaggedLayer } from "./layers.ts";
import { msrFactors } from "./msr.ts";
import { stackFactors } from "./mss.ts";
import { stackTargetFactors } from "./mssh.ts";
import { Network } from "./network.ts";

/** What one output of `PoseModel.graph` is: a stack's (or the MSR-net's) heatmaps at a factor. */
export interface OutputSpec {
  readonly stack: number | "msr";
  readonly factor: number;
}

/** A built network. */
export interface PoseModel {
  readonly config: ModelConfig;
  /** The tfjs model: input `[B, S, S, 3]`, one output per `outputs` entry (save/load, predict). */
  readonly graph: tf.LayersModel;
  /** Meaning of each output of `graph`, in order: stacks first, factors finest first, then MSR. */
  readonly outputs: readonly OutputSpec[];
  /** Factors every stack emits, finest first (always starts with 1). */
  readonly factors: readonly number[];
  /** Factors the MSR-net emits; empty without MSR-net. */
  readonly msrFactors: readonly number[];
  /** The module tree `forward` runs. */
  readonly network: Network;
  /** Every layer with its summary module. */
  readonly layers: readonly TaggedLayer[];
  /** Output shapes of each summary module, recorded while building. */
  readonly shapes: ReadonlyMap<string, readonly (readonly number[])[]>;
}

/**
 * A forward pass's heatmaps. A plain `tf.TensorContainer`: `tf.dispose(out)` frees them all.
 */
export type ModelOutputs = {
  /** `[stack][i]`: heatmaps at `factors[i]`, each `[B, S/4/f, S/4/f, J]`. */
  readonly stacks: tf.Tensor4D[][];
  /** MSR-net heatmaps at each of `msrFactors`. */
  readonly msr?: tf.Tensor4D[];
  /** The heatmaps to predict from: MSR-net's factor 1 if present, else the last stack's. */
  readonly final: tf.Tensor4D;
  readonly factors: number[];
  readonly msrFactors: number[];
  /**
   * MSSH only: per stack, the pyramid factor of the ground truth its factor-1 heatmaps are
   * supervised with (see `stackTargetFactors`).
   */
  readonly stackTargetFactors?: number[];
};

/**
 * Builds the network of a config (validated first) as a functional `tf.LayersModel`.
 * `seed` makes the initial weights reproducible.
 *
 * @example
 * ```ts
 * const net = buildModel(resolveModelConfig({ kind: "mss", stacks: 2, features: 64 }));
 * net.outputs; // [{ stack: 0, factor: 1 }, { stack: 0, factor: 2 }, ...]
 * ```
 */
export function buildModel(config: ModelConfig, opts: { seed?: number } = {}): PoseModel {
  validateModelConfig(config);
  const b = new Builder(opts.seed);
  const network = new Network(b, config);
  const shapes = new Map<string, number[][]>();
  const s = config.inputSize;
  const input = tf.input({ shape: [s, s, 3], name: "images", dtype: "float32" });
  const out = network.apply(input, {
    training: false,
    record: (module, ts) => shapes.set(module, ts.map((t) => t.shape.map((d) => d ?? -1))),
  });
  const factors = stackFactors(config);
  const msr = msrFactors(config);
  const outputs: OutputSpec[] = [];
  out.stacks.forEach((_, stack) => factors.forEach((factor) => outputs.push({ stack, factor })));
  msr.forEach((factor) => outputs.push({ stack: "msr", factor }));
  const graph = tf.model({
    inputs: input,
    outputs: [...out.stacks.flat(), ...(out.msr ?? [])],
    name: `posekit_${config.kind.replace("-", "_")}`,
  });
  return {
    config,
    graph,
    outputs,
    factors,
    msrFactors: msr,
    network,
    layers: b.layers,
    shapes,
  };
}

/**
 * Runs the network. `training` is required: `true` normalises with batch statistics and updates
 * BatchNorm's moving averages (use it only inside a training step); `false` uses the moving
 * averages, so a sample's heatmaps never depend on the rest of its batch. Layers frozen with
 * `setTrainable` always run in inference mode. Runs inside `tf.tidy`: only the returned
 * heatmaps stay alive.
 *
 * @example
 * ```ts
 * const out = forward(net, images, false);
 * out.final; // [B, 64, 64, 16] for 256x256 images
 * tf.dispose(out);
 * ```
 */
export function forward(net: PoseModel, images: tf.Tensor4D, training: boolean): ModelOutputs {
  if (typeof training !== "boolean") {
    throw new Error("forward(net, images, training): say training = true or false explicitly");
  }
  const s = net.config.inputSize;
  const [, h, w, c] = images.shape;
  if (images.rank !== 4 || h !== s || w !== s || c !== 3) {
    throw new KitError(
      `images must be [B, ${s}, ${s}, 3] for model.inputSize ${s}; got [${
        images.shape.join(", ")
      }]`,
    );
  }
  if (images.dtype !== "float32") {
    throw new KitError(`images must be float32 in [0, 1]; got ${images.dtype}`);
  }
  return tf.tidy(() => {
    const out = net.network.apply(images as tf.Tensor, { training });
    const stacks = out.stacks.map((hs) => hs.map((t) => t as tf.Tensor4D));
    const msr = out.msr?.map((t) => t as tf.Tensor4D);
    const final = msr ? msr[0]! : stacks[stacks.length - 1]![0]!;
    const common = { stacks, final, factors: [...net.factors], msrFactors: [...net.msrFactors] };
    const result: ModelOutputs = {
      ...common,
      ...(msr ? { msr } : {}),
      ...(net.config.kind === "mssh" ? { stackTargetFactors: stackTargetFactors(net.config) } : {}),
    };
    return result;
  });
}

/**
 * Which heatmaps a prediction reads: `"final"` (the MSR-net's when there is one, else the last
 * stack's) or `"stacks"` (the last stack's full-resolution map, even with an MSR-net: what an
 * MSS-net trained before its MSR-net has learnt anything predicts with).
 */
export type HeatmapSource = "final" | "stacks";

/**
 * Inference heatmaps (the `final` output, or the last stack's with `from = "stacks"`), for
 * evaluation and prediction.
 *
 * @example
 * ```ts
 * const heatmaps = predictHeatmaps(net, images); // [B, S/4, S/4, J]
 * ```
 */
export function predictHeatmaps(
  net: PoseModel,
  images: tf.Tensor4D,
  from: HeatmapSource = "final",
): tf.Tensor4D {
  return tf.tidy(() => {
    const out = forward(net, images, false);
    return from === "stacks" ? out.stacks[out.stacks.length - 1]![0]! : out.final;
  });
}

/** Which weights a training step may change (the `trains` of a training stage). */
export type TrainablePart = "all" | "msr-only";

function isMsrModule(module: string): boolean {
  return module === "msr" || module.startsWith("msr ");
}

/**
 * Freezes or unfreezes the MSS-net. `"msr-only"` trains only the MSR-net (Ke's second stage): every
 * other layer gets `trainable = false`, so a training step neither computes gradients for its
 * weights nor updates its BatchNorm statistics; `"all"` trains everything.
 *
 * @example
 * ```ts
 * setTrainable(net, "msr-only"); // stage 2
 * setTrainable(net, "all"); // stage 3
 * ```
 */
export function setTrainable(net: PoseModel, part: TrainablePart): void {
  if (part === "msr-only" && net.msrFactors.length === 0) {
    throw new KitError(
      `training only the MSR-net needs model.kind "mss-msr"; this model is "${net.config.kind}"`,
    );
  }
  for (const { layer, module } of net.layers) {
    layer.trainable = part === "all" || isMsrModule(module);
  }
}

/**
 * Learnable parameters of a layer: weights other than BatchNorm's moving statistics.
 *
 * @example
 * ```ts
 * layerParams(net.graph.getLayer("stem.bn")); // 128: gamma and beta of 64 channels
 * ```
 */
export function layerParams(layer: tf.layers.Layer): number {
  return layer.weights
    .filter((w) => !/moving_(mean|variance)$/.test(w.originalName))
    .reduce((n, w) => n + w.shape.reduce((a: number, d) => a * (d ?? 1), 1), 0);
}

/**
 * Learnable parameters of the whole model (what PyTorch's `sum(p.numel() for p in
 * model.parameters())` counts: BatchNorm's running statistics are buffers, not parameters).
 *
 * @example
 * ```ts
 * countParams(net); // e.g. 545248 for hourglass 2 stacks x 64 features
 * ```
 */
export function countParams(net: PoseModel): number {
  return net.layers.reduce((n, { layer }) => n + layerParams(layer), 0);
}
