/**
 * Models: stacked hourglass, MSS-net + MSR-net and MSSH, built from one typed model config
 * (issue 4). The architecture is specified layer by layer in `README.md` next to this file.
 *
 * @module
 */

export * from "./config.ts";
export * from "./build.ts";
export * from "./summary.ts";
export { dispatchScales, dispatchStacks, scaleResolution, stackScales } from "./preprocess.ts";
export { BN_EPSILON, BN_MOMENTUM } from "./layers.ts";
