/**
 * Losses as pure tensor functions: Eq. 1, the multi-scale sum, the structure-aware loss (Eq. 2)
 * and the MSSH adaptive weighted loss.
 *
 * @module
 */

export * from "./config.ts";
export * from "./heatmap.ts";
export * from "./structure.ts";
export * from "./adaptive.ts";
export * from "./multiscale.ts";
