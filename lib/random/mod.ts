/**
 * Seeded randomness for reproducible data, augmentation and runs.
 *
 * @module
 */

export * from "./random.ts";
