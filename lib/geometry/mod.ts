/**
 * Affine transforms and the MPII person crop (center, scale, rotation, flip).
 *
 * @module
 */

export * from "./affine.ts";
