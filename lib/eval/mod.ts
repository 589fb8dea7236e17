/**
 * Evaluation: inference on people in source images through any predict function (crops, fixed
 * batches, flip test), Ke's conditional multi-trial testing, the scale-stability sweep, the MPII
 * evaluation files, the export of predictions for community tools, and validation (the score a
 * split gets, which training calls through a hook).
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
