/**
 * Affine transforms, the MPII person crop (center, scale, rotation, flip), and warping image
 * batches through them on the backend.
 *
 * @module
 */

export * from "./affine.ts";
export * from "./warp.ts";
