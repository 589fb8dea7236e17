/**
 * Heatmap encoding (ground-truth targets and the multi-scale pyramid) and the coordinate
 * convention that decoding shares.
 *
 * @module
 */

export * from "./coords.ts";
export * from "./encode.ts";
export * from "./pyramid.ts";
