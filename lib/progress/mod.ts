/**
 * Progress bars and periodic progress lines with measured rate and ETA.
 *
 * @module
 */

export * from "./progress.ts";
