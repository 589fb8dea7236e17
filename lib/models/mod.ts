/**
 * Models: stacked hourglass, MSS-net + MSR-net and MSSH, built from one typed model config. The
 * architecture is specified layer by layer in `README.md` next to this file; MSS-net's own parts
 * are in `mss.ts`, MSR-net's in `msr.ts`, MSSH's in `mssh.ts`.
 *
 * @module
 */

export * from "./config.ts";
export * from "./build.ts";
export * from "./summary.ts";
export { stackFactors } from "./mss.ts";
export { msrFactors } from "./msr.ts";
export {
  dispatchScales,
  dispatchStacks,
  scaleResolution,
  stackScales,
  stackTargetFactors,
} from "./mssh.ts";
export { BN_EPSILON, BN_MOMENTUM } from "./layers.ts";
