/**
 * Figures for notebooks and reports: vega-lite v5 charts with headless SVG fallbacks, the
 * skeletal graph, skeleton overlays, heatmap images and PNG encoding.
 *
 * @module
 */

export * from "./bundle.ts";
export * from "./charts.ts";
export * from "./graph.ts";
export * from "./draw.ts";
export * from "./base64.ts";
