/**
 * Command-line entry points (one file per `deno task`) and their shared argument parsing.
 *
 * @module
 */

export * from "./args.ts";
