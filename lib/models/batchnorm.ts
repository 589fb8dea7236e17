/**
 * BatchNorm's training step with its gradient in closed form.
 *
 * tfjs-layers normalises a training batch with `tf.moments` and `tf.batchNorm`, and tfjs
 * differentiates that op by op: the batchNorm gradient's five terms (each a broadcast, products
 * and a reduction) plus the gradients of the mean, the square and the subtraction inside
 * `moments`. That is about 40 kernel calls and 25 passes over the activation per layer, and
 * BatchNorm sits in front of every convolution of a residual module. The closed form
 *
 * ```
 * x̂ = (x - μ) / sqrt(σ² + ε),   y = γ x̂ + β          (μ, σ² over batch and pixels, n values)
 * dβ = Σ dy,   dγ = Σ dy·x̂,   dx = γ / sqrt(σ² + ε) · (dy - dβ/n - x̂ · dγ/n)
 * ```
 *
 * needs 5 passes and 2 reductions (7 with x̂ recomputed in the backward pass rather than kept:
 * see {@link batchNormTraining}). Same values (to float rounding), same moving-average update
 * as tfjs-layers; inference is untouched. On the native path (wasm + oneDNN) the
 * normalisation and the whole backward pass are one oneDNN call each, after the same batch
 * statistics as here (lib/backend/native_bnorm_train.ts; off with `KIT_NATIVE_BN=0`),
 * which keeps x and the statistics too.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { nativeBatchNormTraining } from "../backend/native_bnorm_train.ts";
import { nativeMovingAverages } from "../backend/native_bnorm_moving.ts";
import { webGpuBatchNormTraining } from "../backend/webgpu_bnorm.ts";
import { webGpuReluGradFromOutput } from "../backend/webgpu_relu.ts";

/**
 * A training-mode BatchNorm's output and the batch statistics it used. The statistics are kept
 * (`tf.keep`): they outlive the caller's `tf.tidy`, so dispose them.
 */
export interface BatchNormTraining {
  /** Normalised, scaled and shifted input. */
  readonly y: tf.Tensor;
  /** Per-channel mean `[C]` of the batch. */
  readonly mean: tf.Tensor1D;
  /** Per-channel (biased) variance `[C]` of the batch. */
  readonly variance: tf.Tensor1D;
}

/**
 * Normalises `x` (channels last) with its own batch statistics, like tfjs-layers' training
 * mode, but with the closed-form gradient for `x`, `gamma` and `beta` (see the module notes).
 *
 * @example
 * ```ts
 * const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-5);
 * ```
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormTraining {
  const axes = x.shape.slice(0, -1).map((_, i) => i); // all but the channel axis
  const n = x.size / x.shape[x.rank - 1]!;
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, gamma, beta, save] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.GradSaveFunc];
    const mean = tf.mean(x, axes) as tf.Tensor1D;
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), axes) as tf.Tensor1D;
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const xHat = tf.mul(centred, invStd);
    // customGrad runs this in a scope of its own: keep the statistics for the caller.
    stats = [tf.keep(mean), tf.keep(variance)];
    // x, not x̂: x is the previous convolution's output, which its own gradient keeps anyway,
    // so saving it costs no memory, while x̂ would be one more activation-sized tensor per
    // layer. x̂ is recomputed in the backward pass (two elementwise passes).
    save([x, mean, invStd, gamma]);
    return {
      value: tf.add(tf.mul(xHat, gamma), beta),
      // In a scope of its own: tf.customGrad does not free a gradient's intermediates.
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [x, mean, invStd, gamma] = saved as [
            tf.Tensor,
            tf.Tensor1D,
            tf.Tensor1D,
            tf.Tensor1D,
          ];
          const xHat = tf.mul(tf.sub(x, mean), invStd);
          const dyMean = tf.mean(dy, axes); // dβ / n
          const dyXHatMean = tf.mean(tf.mul(dy, xHat), axes); // dγ / n
          const dx = tf.mul(
            tf.sub(tf.sub(dy, dyMean), tf.mul(xHat, dyXHatMean)),
            tf.mul(gamma, invStd),
          );
          return [dx, tf.mul(dyXHatMean, n), tf.mul(dyMean, n)];
        }),
    };
  });
  const y = normalize(x, gamma, beta);
  const [mean, variance] = stats!;
  return { y, mean, variance };
}

/**
 * ReLU's gradient from its output instead of its input: `relu'(x) = step(x) = step(relu(x))`,
 * the same values. tfjs saves a ReLU's input for the backward pass; in the pre-activation
 * blocks that input is a BatchNorm output nothing else keeps, while the ReLU's output is saved
 * anyway by the convolution it feeds. Saving the output instead frees every BatchNorm output
 * after its ReLU: one activation-sized tensor per BN-ReLU pair (96 in the 2x64 hourglass;
 * bench/RESULTS.md, "training memory"). PyTorch's ReLU saves its output too.
 *
 * Registered for every backend when this module loads (the models import it).
 *
 * @example
 * ```ts
 * registerReluGradientFromOutput(); // idempotent
 * ```
 */
export function registerReluGradientFromOutput(): void {
  tf.registerGradient({
    kernelName: "Relu",
    outputsToSave: [true],
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [y] = saved as [tf.Tensor];
      // On webgpu one fused dispatch (lib/backend/webgpu_relu.ts), the same values.
      const grad = dy as tf.Tensor;
      return { x: () => webGpuReluGradFromOutput(grad, y) ?? tf.mul(grad, tf.step(y)) };
    },
  });
}
registerReluGradientFromOutput();

/**
 * The keyword argument that asks a {@link withClosedFormTraining} layer for `relu(BN(x))`, the
 * BatchNorm and the ReLU layer after it in one call (lib/models/units.ts).
 *
 * @example
 * ```ts
 * const a = bn.apply(x, { training: true, [FUSED_RELU]: true }); // relu(BN(x))
 * ```
 */
export const FUSED_RELU = "kitFusedRelu";

/** The parts of a tfjs-layers BatchNormalization layer the training path reads. */
interface BatchNormFields {
  readonly axis: number;
  readonly epsilon: number;
  readonly momentum: number;
  readonly gamma: tf.LayerVariable;
  readonly beta: tf.LayerVariable;
  readonly movingMean: tf.LayerVariable;
  readonly movingVariance: tf.LayerVariable;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

/**
 * Gives a tfjs-layers BatchNormalization layer (channels last, with scale and center) the
 * closed-form training path of {@link batchNormTraining}, or oneDNN's native kernels
 * (`nativeBatchNormTraining`) when the native path runs on wasm; inference, other axes and layers
 * without scale or center keep tfjs's own code. The layer stays a plain BatchNormalization for
 * saving and loading. Moving averages are updated exactly as tfjs-layers does:
 * `moving -= (moving - batch) · (1 - momentum)`.
 *
 * Called with `{ [FUSED_RELU]: true }` (lib/models/units.ts, for a BN followed by a ReLU
 * layer) it returns `relu(BN(x))`: in a training pass on the native path one fused oneDNN
 * kernel each way, elsewhere the same ops as the two layers.
 *
 * @example
 * ```ts
 * const bn = withClosedFormTraining(tf.layers.batchNormalization({ axis: -1 }));
 * ```
 */
export function withClosedFormTraining<L extends tf.layers.Layer>(layer: L): L {
  const bn = layer as unknown as BatchNormFields;
  const original = bn.call.bind(layer);
  bn.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const channelsLast = bn.axis === -1 || bn.axis === x.rank - 1;
    const relu = kwargs[FUSED_RELU] === true;
    if (kwargs["training"] !== true || !channelsLast || !bn.gamma || !bn.beta) {
      const y = original(inputs, kwargs);
      return relu ? tf.relu(y as tf.Tensor) : y;
    }
    return tf.tidy(() => {
      const gamma = bn.gamma.read() as tf.Tensor1D, beta = bn.beta.read() as tf.Tensor1D;
      const decay = 1 - bn.momentum;
      // On webgpu: fused programs that also update the moving averages (webgpu_bnorm.ts).
      const moving = { movingMean: bn.movingMean, movingVariance: bn.movingVariance, decay };
      const fused = webGpuBatchNormTraining(x, gamma, beta, bn.epsilon, moving);
      if (fused) return relu ? tf.relu(fused.y) : fused.y;
      // oneDNN's kernels when the native path is on (unless KIT_NATIVE_BN=0), else the
      // closed form in tfjs ops: the same values and gradients (tests/models, tests/backend).
      // With the ReLU fused into them when asked for and oneDNN has it.
      const withRelu = relu ? nativeBatchNormTraining(x, gamma, beta, bn.epsilon, true) : undefined;
      const native = withRelu ?? nativeBatchNormTraining(x, gamma, beta, bn.epsilon);
      const { y, mean, variance } = native ?? batchNormTraining(x, gamma, beta, bn.epsilon);
      const olds = [bn.movingMean.read(), bn.movingVariance.read()] as const;
      // With the native kernels: both averages in one kernel call, bit-identical to the tfjs
      // ops below (lib/backend/native_bnorm_moving.ts). Those are 6 calls, and in a training
      // step the tape clones both inputs of each (12 Identity calls): 18 -> 1 per layer.
      const next = (native && nativeMovingAverages(...olds, mean, variance, decay)) ||
        ([[olds[0], mean], [olds[1], variance]] as const).map(([old, batch]) =>
          tf.sub(old, tf.mul(tf.sub(old, batch), decay))
        );
      bn.movingMean.write(next[0]!);
      bn.movingVariance.write(next[1]!);
      tf.dispose([mean, variance]); // kept by batchNormTraining, so not freed by this tidy
      return relu && !withRelu ? tf.relu(y) : y;
    });
  };
  return layer;
}
