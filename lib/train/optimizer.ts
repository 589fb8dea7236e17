/**
 * Optimisers from the config: RMSprop (Newell's 2.5e-4), Adam and SGD with momentum, and a way
 * to change their learning rate between epochs that works for each of tfjs's classes.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type Infer, positive, section, z } from "../config/config.ts";
import { FlatRMSPropOptimizer } from "./flat_rmsprop.ts";

/** Optimiser names accepted in the config. */
export const OPTIMIZERS = ["rmsprop", "adam", "sgd"] as const;

/** An optimiser name. */
export type OptimizerName = typeof OPTIMIZERS[number];

/** The `optimizer` section of the experiment config; defaults: RMSprop at 2.5e-4 as in Newell et al. */
export const optimizerSchema = section({
  name: z.enum(OPTIMIZERS).default("rmsprop"),
  lr: positive().default(2.5e-4),
  /** SGD momentum and RMSprop momentum. */
  momentum: z.number().default(0),
  /** RMSprop decay (rho) and Adam beta2. */
  decay: z.number().default(0.99),
  epsilon: z.number().default(1e-8),
});

/** The `optimizer` section of the experiment config. */
export type OptimizerConfig = Infer<typeof optimizerSchema>;

/** Defaults: RMSprop at 2.5e-4 as in Newell et al. */
export const optimizerDefaults: OptimizerConfig = optimizerSchema.parse({});

/**
 * Builds the optimiser named in the config.
 *
 * @example
 * ```ts
 * const opt = makeOptimizer({ ...optimizerDefaults, name: "adam", lr: 1e-3 });
 * ```
 */
export function makeOptimizer(cfg: OptimizerConfig, lr = cfg.lr): tf.Optimizer {
  switch (cfg.name) {
    case "rmsprop":
      // tfjs's RMSprop, updating all weights in one flat pass (flat_rmsprop.ts).
      return new FlatRMSPropOptimizer(lr, cfg.decay, cfg.momentum, cfg.epsilon);
    case "adam":
      return tf.train.adam(lr, 0.9, cfg.decay, cfg.epsilon);
    case "sgd":
      return cfg.momentum > 0 ? tf.train.momentum(lr, cfg.momentum) : tf.train.sgd(lr);
  }
}

/**
 * Sets an optimiser's learning rate in place (tfjs has no common setter: SGD keeps a cached
 * scalar, the others read a field).
 *
 * @example
 * ```ts
 * setLearningRate(opt, 5e-5);
 * ```
 */
export function setLearningRate(opt: tf.Optimizer, lr: number): void {
  // tfjs optimisers override instanceof (any optimiser "is" an SGDOptimizer), so ask for the
  // method instead: SGD and Momentum cache -lr in a scalar that setLearningRate refreshes.
  const withSetter = opt as unknown as { setLearningRate?: (lr: number) => void };
  if (typeof withSetter.setLearningRate === "function") {
    withSetter.setLearningRate(lr);
    return;
  }
  (opt as unknown as { learningRate: number }).learningRate = lr;
}

/**
 * Reads an optimiser's current learning rate.
 *
 * @example
 * ```ts
 * getLearningRate(tf.train.adam(1e-3)); // 0.001
 * ```
 */
export function getLearningRate(opt: tf.Optimizer): number {
  return (opt as unknown as { learningRate: number }).learningRate;
}
