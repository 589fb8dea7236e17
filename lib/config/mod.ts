/**
 * The typed experiment config: defaults merged with overrides, unknown keys rejected by name.
 *
 * @module
 */

export * from "./config.ts";
