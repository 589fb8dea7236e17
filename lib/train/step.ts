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

/** What a step reports, read back from the device. */
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
 * A step whose update is queued on the device but whose loss is not read back yet: the device
 * keeps `report` (`[total, part 1, part 2, ...]`) until {@link readSteps} reads it.
 */
export interface PendingStep {
  /** `[1 + parts]`: the total loss, then its terms in `layout` order. */
  readonly report: tf.Tensor1D;
  readonly layout: readonly { stack: number | "msr"; factor: number }[];
  /** Kept only when asked for (`trainStep` reads it; the training loop does not). */
  readonly keypointWeights?: tf.Tensor2D;
}

/** A step's loss and its terms, as the training loop logs them. */
export type StepLosses = Omit<StepResult, "keypointWeights">;

/**
 * Runs one training step without waiting for the device: forward, loss, gradients and the
 * optimiser update are queued, and the loss stays on the device (no host round trip). BatchNorm
 * runs on batch statistics and updates its moving averages (except in frozen layers); only
 * trainable weights get gradients; every intermediate tensor is freed. The caller owns the
 * returned tensors: pass them to {@link readSteps} (which frees them) or dispose them.
 *
 * @example
 * ```ts
 * const pending = [trainStepQueued(net, opt, batch1, loss), trainStepQueued(net, opt, batch2, loss)];
 * const [first, second] = await readSteps(pending); // one readback for both
 * ```
 */
export function trainStepQueued(
  net: PoseModel,
  optimizer: tf.Optimizer,
  batch: TrainBatch,
  lossCfg: LossConfig,
  opts: { keypointWeights?: boolean } = {},
): PendingStep {
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
      if (opts.keypointWeights) keypointWeights = tf.keep(kw);
      return total;
    }, vars);
    optimizer.applyGradients(grads);
    tf.dispose(grads);
    value.dispose();
    return { report: report!, layout, keypointWeights };
  } catch (e) {
    report?.dispose();
    keypointWeights?.dispose();
    throw e;
  }
}

/**
 * Reads the losses of queued steps back in one host round trip (the reports stacked on the
 * device into `[steps, 1 + parts]`) and frees their tensors, also when the read fails.
 *
 * @example
 * ```ts
 * const [{ loss, parts }] = await readSteps([trainStepQueued(net, opt, batch, lossCfg)]);
 * ```
 */
export async function readSteps(pending: readonly PendingStep[]): Promise<StepLosses[]> {
  if (pending.length === 0) return [];
  try {
    const width = pending[0]!.report.shape[0];
    // Shapes differ only when the loss changed mid-run (a stage switch): then one read each.
    const same = pending.every((p) => p.report.shape[0] === width);
    const rows: Float32Array[] = [];
    if (pending.length === 1) {
      rows.push((await pending[0]!.report.data()) as Float32Array);
    } else if (same) {
      const all = tf.stack(pending.map((p) => p.report)) as tf.Tensor2D; // [steps, width]
      try {
        const data = (await all.data()) as Float32Array;
        for (let i = 0; i < pending.length; i++) {
          rows.push(data.subarray(i * width, (i + 1) * width));
        }
      } finally {
        all.dispose();
      }
    } else {
      for (const p of pending) rows.push((await p.report.data()) as Float32Array);
    }
    return pending.map((p, i) => ({
      loss: rows[i]![0]!,
      parts: p.layout.map((l, j) => ({ ...l, loss: rows[i]![j + 1]! })),
    }));
  } finally {
    for (const p of pending) {
      p.report.dispose();
      p.keypointWeights?.dispose();
    }
  }
}

/**
 * Runs one training step and reads back the loss, its terms and the keypoint weights (a host
 * round trip per call; the training loop batches its reads with {@link trainStepQueued}).
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
  const pending = trainStepQueued(net, optimizer, batch, lossCfg, { keypointWeights: true });
  try {
    const [values, kw] = await Promise.all([
      pending.report.array(),
      pending.keypointWeights!.array(),
    ]);
    return {
      loss: values[0]!,
      parts: pending.layout.map((p, i) => ({ ...p, loss: values[i + 1]! })),
      keypointWeights: kw,
    };
  } finally {
    pending.report.dispose();
    pending.keypointWeights?.dispose();
  }
}

/** The most steps a loop runs between two readbacks, whatever `output.logEvery` says. */
export const MAX_STEPS_PER_READBACK = 100;

let deferOverride: boolean | undefined;

/**
 * How many steps the training loop runs between readbacks of their losses. On webgpu a readback
 * stalls the host until the device has drained its queue, so the loop reads the losses only when
 * it logs (every `output.logEvery` steps, at most {@link MAX_STEPS_PER_READBACK}); on cpu and wasm
 * a readback is a copy, and the loop reads every step. {@link setDeferredReadback} overrides the
 * choice (tests, benchmarks).
 *
 * @example
 * ```ts
 * stepsPerReadback(10); // 10 on webgpu, 1 on cpu and wasm
 * ```
 */
export function stepsPerReadback(logEvery: number): number {
  const defer = deferOverride ?? tf.getBackend() === "webgpu";
  return defer ? Math.max(1, Math.min(logEvery, MAX_STEPS_PER_READBACK)) : 1;
}

/**
 * Forces deferred readbacks on (`true`) or off (`false`) on every backend, or back to the
 * default (`undefined`: deferred on webgpu only); for tests and benchmarks.
 *
 * @example
 * ```ts
 * setDeferredReadback(true); // the cpu backend now reads losses every logEvery steps too
 * setDeferredReadback(undefined);
 * ```
 */
export function setDeferredReadback(on: boolean | undefined): void {
  deferOverride = on;
}
