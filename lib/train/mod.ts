/**
 * Training: the single training step, optimisers, learning-rate schedules and Ke's stages,
 * atomic checkpoints, the JSONL run log and the training loop; reusing finished runs, and the
 * configs of Ke et al.'s ablation and its seeded plans (read back and tabulated in lib/eval).
 *
 * @module
 */

export * from "./step.ts";
export * from "./optimizer.ts";
export * from "./flat_rmsprop.ts";
export * from "./schedule.ts";
export * from "./checkpoint.ts";
export * from "./log.ts";
export * from "./config.ts";
export * from "./loop.ts";
export * from "./load.ts";
export * from "./reuse.ts";
export * from "./ablation.ts";
export * from "./ablation_plan.ts";
