/**
 * The run the fault tests break: a 1-stack, 8-feature hourglass on 32 px SynthPose crops, two
 * epochs of three steps, with a checkpoint after every step (so every epoch end writes its step a
 * second time: the rewrite a kill used to lose).
 *
 * @module
 */

import { type ExperimentConfig, resolveExperiment } from "../../lib/train/config.ts";

/**
 * The tiny experiment of the fault suite.
 *
 * @example
 * ```ts
 * await train(faultExperiment(), { runDir, ...quiet });
 * ```
 */
export function faultExperiment(): ExperimentConfig {
  return resolveExperiment({
    name: "faults",
    data: { inputSize: 32, pyramidFactors: [1], workers: 0, synth: { trainSize: 24, valSize: 4 } },
    model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
    optimizer: { name: "adam", lr: 2e-3 },
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 3,
      lr: { kind: "constant" },
      stages: [{ name: "main", epochs: 2 }],
    },
    eval: { batchSize: 4 },
    // A tiny positive interval: a timed checkpoint after every step.
    output: { logEvery: 1, checkpointMinutes: 1e-9 },
  });
}

/** Options that keep a test run quiet. */
export const quiet = { log: () => {}, live: false, progressEverySeconds: 3600 };
