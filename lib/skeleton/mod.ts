/**
 * Skeletons: the kit's canonical MPII joint order, flip pairs, the skeletal graph, the
 * structure-aware neighbour groups, and the LSP and FLIC joint sets mapped onto MPII.
 *
 * @module
 */

export * from "./mpii.ts";
export * from "./structure.ts";
export * from "./lsp.ts";
export * from "./flic.ts";
export * from "./remap.ts";
