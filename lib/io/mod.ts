/**
 * File I/O shared by the stages: user-facing errors, atomic writes, and readers for the HDF5 and
 * MATLAB files of the pose datasets.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./atomic.ts";
export * from "./output.ts";
export * from "./missing.ts";
export * from "./ndarray.ts";
export * from "./h5.ts";
export * from "./mat.ts";
export * from "./mat_write.ts";
