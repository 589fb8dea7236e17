/**
 * One training step: forward in training mode, the loss, gradients of the trainable weights
 * only, one optimiser update. The training loop (epoch.ts) calls this once per batch.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { KitError } from "../io/errors.ts";
import { type LossConfig, validateLossConfig } from "../losses/config.ts";
import { multiScaleLoss } from "../losses/multiscale.ts";
import { forward, type PoseModel } from "../models/build.ts";
import { leanVariableGrads } from "./lean_grads.ts";

/** One batch of training data (a `tf.TensorContainer`: `tf.dispose(batch)` frees it). */
export type TrainBatch = {
  /** `[B, S, S, 3]` float32 in [0, 1]. */
  readonly images: tf.Tensor4D;
  /** Ground truth at factors 1, 2, 4, 8 in that order, each `[B, S/4/f, S/4/f, J]`. */
  readonly targets: tf.Tensor4D[];
  /** `[B, J]` joint weights, 0 for a missing joint. */
  readonly weights: tf.Tensor2D;
};

/** What a step reports, read back from the device once per step. */
export interface StepResult {
  /** The total loss before the update. */
  readonly loss: number;
  /** Its terms, per stack (or MSR-net) and factor. */
  readonly parts: readonly { stack: number | "msr"; factor: number; loss: number }[];
  /** `[stack][joint]` keypoint weights the loss used (MSSH adaptive weights, else 1/J). */
  readonly keypointWeights: readonly number[][];
}

/**
 * The weights a step may change: trainable weights of the model (frozen layers excluded).
 *
 * @example
 * ```ts
 * trainableVariables(net).length;
 * ```
 */
export function trainableVariables(net: PoseModel): tf.Variable[] {
  return net.graph.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Runs one training step and reads back the loss and its terms. BatchNorm runs on batch
 * statistics and updates its moving averages (except in frozen layers); only trainable weights
 * get gradients; every intermediate tensor is freed.
 *
 * @example
 * ```ts
 * const opt = tf.train.rmsprop(2.5e-4);
 * const { loss, parts } = await trainStep(net, opt, { images, targets, weights }, lossDefaults);
 * ```
 */
export async function trainStep(
  net: PoseModel,
  optimizer: tf.Optimizer,
  batch: TrainBatch,
  lossCfg: LossConfig,
): Promise<StepResult> {
  validateLossConfig(lossCfg);
  const vars = trainableVariables(net);
  if (vars.length === 0) {
    throw new KitError("nothing to train: every layer of the model is frozen");
  }
  let report: tf.Tensor1D | undefined;
  let keypointWeights: tf.Tensor2D | undefined;
  let layout: { stack: number | "msr"; factor: number }[] = [];
  try {
    // tf.variableGrads with a backward pass that frees activations as it goes (lean_grads.ts).
    const { value, grads } = leanVariableGrads(() => {
      const out = forward(net, batch.images, true);
      const { total, parts, keypointWeights: kw } = multiScaleLoss(
        out,
        batch.targets,
        batch.weights,
        lossCfg,
      );
      layout = parts.map(({ stack, factor }) => ({ stack, factor }));
      // One tensor to read back: [total, part 1, part 2, ...].
      report = tf.keep(tf.stack([total, ...parts.map((p) => p.loss)]) as tf.Tensor1D);
      keypointWeights = tf.keep(kw);
      return total;
    }, vars);
    optimizer.applyGradients(grads);
    tf.dispose(grads);
    value.dispose();
    const [values, kw] = await Promise.all([report!.array(), keypointWeights!.array()]);
    return {
      loss: values[0]!,
      parts: layout.map((p, i) => ({ ...p, loss: values[i + 1]! })),
      keypointWeights: kw,
    };
  } finally {
    report?.dispose();
    keypointWeights?.dispose();
  }
}
