/**
 * Evaluation: inference on people in source images through any predict function (crops, fixed
 * batches, flip test), Ke's conditional multi-trial testing, the scale-stability sweep, the MPII
 * evaluation files, the export of predictions for community tools, validation (the score a split
 * gets, which training calls through a hook), and Ke et al.'s ablation read back from run
 * directories: single runs, and seeded runs scored on stress splits with paired differences.
 *
 * @module
 */

export * from "./types.ts";
export * from "./crops.ts";
export * from "./flip.ts";
export * from "./infer.ts";
export * from "./conditional.ts";
export * from "./stability.ts";
export * from "./mpii_files.ts";
export * from "./export.ts";
export * from "./dataset.ts";
export * from "./validate.ts";
export * from "./ranking.ts";
export * from "./presence.ts";
export * from "./conditional_eval.ts";
export * from "./conditional_fit.ts";
export * from "./ablation_report.ts";
export * from "./stress.ts";
export * from "./stress_run.ts";
export * from "./ablation_stats.ts";
export * from "./ablation_seeded.ts";
