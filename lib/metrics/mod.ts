/**
 * Metrics as pure functions on arrays: PCKh (bearpaw eval_PCKh.py and official MPII rules), PCK
 * with torso normalisation, curves over the threshold and their AUC, the visible/occluded split,
 * joint-presence precision/recall, and the papers' table.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./rates.ts";
export * from "./summary.ts";
export * from "./pckh.ts";
export * from "./pck.ts";
export * from "./presence.ts";
export * from "./table.ts";
export * from "./sides.ts";
