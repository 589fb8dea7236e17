/**
 * RMSprop that updates all weights at once.
 *
 * tfjs's RMSPropOptimizer runs its update (about 15 kernels, and four scalars uploaded) once
 * per weight tensor: ~6,000 tiny kernel calls per step for a 2-stack hourglass's ~400 tensors,
 * which cost more than the arithmetic. This subclass concatenates the gradients, weights and
 * optimizer state into flat vectors, runs the same element-wise update once, and splits the
 * results back. Step times with and without it: bench/RESULTS.md (`deno task bench`).
 *
 * Per element the operations and their order are tfjs's, so the weights it produces are the
 * same; its state (`name/rms`, `name/momentum` per weight, in the same order) and class name
 * are tfjs's too, so checkpoints move freely between the two. Centered RMSprop falls back to
 * tfjs's per-weight update.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { webGpuRmsPropUpdate } from "../backend/webgpu_rmsprop.ts";

/** The base class's per-weight state (private in its typings). */
interface RmsState {
  readonly centered: boolean;
  readonly accumulatedMeanSquares: { originalName: string; variable: tf.Variable }[];
  readonly accumulatedMoments: { originalName: string; variable: tf.Variable }[];
}

/** Flattens tensors into one vector, in order. */
function flat(tensors: readonly tf.Tensor[]): tf.Tensor1D {
  const parts = tensors.map((t) => tf.reshape(t, [-1]) as tf.Tensor1D);
  return parts.length === 1 ? parts[0]! : tf.concat(parts);
}

/**
 * `tf.train.rmsprop` with one flat update per step instead of one per weight tensor.
 *
 * @example
 * ```ts
 * const opt = new FlatRMSPropOptimizer(2.5e-4, 0.99, 0, 1e-8);
 * opt.applyGradients(grads); // same weights as tf.train.rmsprop(2.5e-4, 0.99, 0, 1e-8)
 * ```
 */
export class FlatRMSPropOptimizer extends tf.RMSPropOptimizer {
  override applyGradients(
    variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[],
  ): void {
    const state = this as unknown as RmsState;
    if (state.centered) {
      super.applyGradients(variableGradients);
      return;
    }
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({
        name,
        tensor: variableGradients[name]!,
      }));
    const registered = tf.engine().registeredVariables;
    const values: tf.Variable[] = [], grads: tf.Tensor[] = [];
    const squares: tf.Variable[] = [], moments: tf.Variable[] = [];
    list.forEach(({ name, tensor }, i) => {
      const value = registered[name]!;
      // State per position in the list, created on first use, exactly as the base class does.
      state.accumulatedMeanSquares[i] ??= {
        originalName: `${name}/rms`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      state.accumulatedMoments[i] ??= {
        originalName: `${name}/momentum`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      if (tensor == null) return; // no gradient: no update, as in the base class
      values.push(value);
      grads.push(tensor);
      squares.push(state.accumulatedMeanSquares[i]!.variable);
      moments.push(state.accumulatedMoments[i]!.variable);
    });
    // On webgpu: one fused dispatch per weight instead of concatenations and splits.
    const settings = {
      learningRate: this.learningRate,
      decay: this.decay,
      momentum: this.momentum,
      epsilon: this.epsilon,
    };
    if (values.length > 0 && !webGpuRmsPropUpdate(values, grads, squares, moments, settings)) {
      tf.tidy(() => {
        const g = flat(grads);
        const ms = tf.add(
          tf.mul(flat(squares), this.decay),
          tf.mul(tf.square(g), 1 - this.decay),
        );
        const step = tf.div(tf.mul(g, this.learningRate), tf.sqrt(tf.add(ms, this.epsilon)));
        // momentum · m + step is exactly step when momentum is 0 (m is finite).
        const mom = this.momentum === 0 ? step : tf.add(tf.mul(flat(moments), this.momentum), step);
        const next = tf.sub(flat(values), mom);
        const sizes = values.map((v) => v.size);
        const assign = (vars: tf.Variable[], all: tf.Tensor) => {
          const pieces = vars.length === 1 ? [all] : tf.split(all, sizes);
          vars.forEach((v, i) => v.assign(tf.reshape(pieces[i]!, v.shape)));
        };
        assign(squares, ms);
        assign(moments, mom);
        assign(values, next);
      });
    }
    this.incrementIterations();
  }
}
