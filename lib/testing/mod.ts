/**
 * Test helpers shared by the kit's tests and benchmarks.
 *
 * @module
 */

export * from "./leaks.ts";
export * from "./backend.ts";
