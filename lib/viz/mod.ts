/**
 * Figures for notebooks and reports: vega-lite v5 charts with headless SVG fallbacks, the
 * skeletal graph, skeleton overlays, heatmap images and PNG encoding, image grids and pose
 * galleries with legends, per-joint PCK curves and matrix charts.
 *
 * @module
 */

export * from "./bundle.ts";
export * from "./charts.ts";
export * from "./error_bars.ts";
export * from "./graph.ts";
export * from "./draw.ts";
export * from "./base64.ts";
export * from "./images.ts";
export * from "./poses.ts";
export * from "./curves.ts";
export * from "./tensors.ts";
export * from "./raster.ts";
