/**
 * Metrics as pure functions on arrays: PCKh, PCK, AUC, curves and joint presence (issue 5).
 *
 * @module
 */

export {};
