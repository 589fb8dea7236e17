/**
 * Figures for notebooks: vega-lite v5 specs with SVG fallbacks, skeleton overlays and heatmap
 * images (issue 7).
 *
 * @module
 */

export {};
