/**
 * Heatmap encoding (ground-truth targets and the multi-scale pyramid), decoding (quarter-pixel
 * argmax, back to image coordinates), and the coordinate convention both share.
 *
 * @module
 */

export * from "./coords.ts";
export * from "./encode.ts";
export * from "./pyramid.ts";
export * from "./decode.ts";
