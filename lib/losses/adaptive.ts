/**
 * The adaptive weighted loss of MSSH (Algorithm 1): each stack weighs its keypoints by how badly
 * the previous stack did on them, AdaBoost.R2 style.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { AdaptiveNorm } from "./config.ts";

/**
 * Identity forward, zero gradient: the keypoint weights are constants for the step, as sample
 * weights are in AdaBoost, so the network cannot lower its loss by shuffling the weights.
 */
const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((x) => ({
  value: (x as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
}));

/**
 * One step of Algorithm 1: the next stack's keypoint weights `[J]` from this stack's weights
 * `w` (summing to 1) and per-keypoint losses `[J]`.
 *
 * ```
 * l_i  = loss_i / Σ_k loss_k   ("sum")   or   loss_i / max_k loss_k   ("max")
 * L    = Σ_i w_i l_i                              // Eq. 3
 * α    = min(L / (1 - L), 1)                      // Eq. 5
 * w'_i = w_i α^(1 - l_i) / Σ_k w_k α^(1 - l_k)     // Eq. 4 and 6
 * ```
 *
 * The paper applies Eq. 5 to the raw losses, which are not in [0, 1] (a heatmap's squared error
 * summed over pixels is often above 1, making α negative) and whose scale would set how strongly
 * the weights move. We normalise them first. `max` is AdaBoost.R2's linear loss (the algorithm
 * the paper cites), but AdaBoost.R2 stops when L >= 1/2, which happens whenever the keypoints'
 * losses are within a factor of about two of each other, as they usually are: the weights then
 * never move. `sum` (the default) keeps L = 1/J for uniform weights, so α = 1/(J-1) and the
 * weights always move, by a factor (J-1)^(l_i) per stack, compounding over the stacks.
 * α is capped at 1 (weights unchanged) when L >= 1/2, and kept above 1e-6 so all-zero losses
 * leave the weights alone. A keypoint with a larger loss always gets a larger weight.
 *
 * @example
 * ```ts
 * // l = [1/8, 1/8, 1/8, 5/8], L = 1/4, α = 1/3: the hard keypoint gains weight.
 * nextAdaptiveWeights(tf.tensor1d([0.25, 0.25, 0.25, 0.25]), tf.tensor1d([1, 1, 1, 5]));
 * // [0.2113, 0.2113, 0.2113, 0.3660]
 * ```
 */
export function nextAdaptiveWeights(
  w: tf.Tensor1D,
  losses: tf.Tensor1D,
  norm: AdaptiveNorm = "sum",
): tf.Tensor1D {
  return tf.tidy(() => {
    const loss = stopGradient(losses) as tf.Tensor1D;
    const scale = norm === "sum" ? tf.sum(loss) : tf.max(loss);
    const l = tf.div(loss, tf.maximum(scale, 1e-12));
    const total = tf.sum(tf.mul(w, l));
    const alpha = tf.clipByValue(tf.div(total, tf.sub(1, total)), 1e-6, 1);
    const scaled = tf.mul(w, tf.pow(alpha, tf.sub(1, l)));
    return tf.div(scaled, tf.sum(scaled)) as tf.Tensor1D;
  });
}

/**
 * The keypoint weights of every stack `[stacks, J]`: uniform `1/J` for the first, then one
 * `nextAdaptiveWeights` step per stack from the previous stack's per-keypoint losses. The
 * weights carry no gradient.
 *
 * @example
 * ```ts
 * const w = adaptiveStackWeights([lossesStack1, lossesStack2]); // [[1/J, ...], [...]]
 * ```
 */
export function adaptiveStackWeights(
  perStackLosses: readonly tf.Tensor1D[],
  norm: AdaptiveNorm = "sum",
): tf.Tensor2D {
  return tf.tidy(() => {
    const j = perStackLosses[0]!.shape[0];
    const weights: tf.Tensor1D[] = [tf.fill([j], 1 / j) as tf.Tensor1D];
    for (let s = 1; s < perStackLosses.length; s++) {
      weights.push(nextAdaptiveWeights(weights[s - 1]!, perStackLosses[s - 1]!, norm));
    }
    return stopGradient(tf.stack(weights)) as tf.Tensor2D;
  });
}

/**
 * Eq. 3 for every stack, summed: `Σ_j Σ_i w_{j,i} Loss_{j,i}` with the weights of
 * `adaptiveStackWeights`. With uniform weights this is the sum over stacks of Eq. 1.
 *
 * @example
 * ```ts
 * const { total, weights } = adaptiveWeightedLoss([l1, l2, l3]);
 * ```
 */
export function adaptiveWeightedLoss(
  perStackLosses: readonly tf.Tensor1D[],
  norm: AdaptiveNorm = "sum",
): { total: tf.Scalar; weights: tf.Tensor2D } {
  return tf.tidy(() => {
    const weights = adaptiveStackWeights(perStackLosses, norm);
    // [stacks, J] * [stacks, J] -> scalar
    const total = tf.sum(tf.mul(weights, tf.stack([...perStackLosses]))) as tf.Scalar;
    return { total, weights };
  });
}
