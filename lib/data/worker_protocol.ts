/**
 * Messages between the pipeline and its workers, and how errors cross the thread boundary.
 *
 * @module
 */

import { KitError } from "../io/errors.ts";
import type { DataConfig } from "./config.ts";
import type { Split } from "./open.ts";
import type { PrepareJob } from "./prepare.ts";
import { SampleLoadError } from "./types.ts";

/** Messages to the worker. */
export type WorkerRequest =
  | { readonly type: "init"; readonly config: DataConfig; readonly split: Split }
  | { readonly type: "prepare"; readonly id: number; readonly job: PrepareJob };

/** An error as it crosses back to the main thread. */
export interface WorkerError {
  readonly name: string;
  readonly message: string;
  readonly index?: number;
  readonly path?: string;
  readonly stack?: string;
}

/** Messages from the worker. */
export type WorkerReply =
  | { readonly type: "ready"; readonly length: number }
  | { readonly type: "done"; readonly id: number; readonly prepared: unknown }
  | { readonly type: "failed"; readonly id: number; readonly error: WorkerError };

/**
 * Packs an error for postMessage, keeping what the main thread needs to rebuild it.
 *
 * @example
 * ```ts
 * toWorkerError(new SampleLoadError("x.jpg: image not found", 3, "x.jpg")).index; // 3
 * ```
 */
export function toWorkerError(e: unknown): WorkerError {
  if (e instanceof SampleLoadError) {
    return { name: e.name, message: e.message, index: e.index, path: e.path };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

/**
 * Rebuilds an error from a worker: SampleLoadError and KitError keep their classes (user-facing),
 * anything else becomes an Error carrying the worker's stack.
 *
 * @example
 * ```ts
 * fromWorkerError({ name: "KitError", message: "bad file" }) instanceof KitError; // true
 * ```
 */
export function fromWorkerError(e: WorkerError): Error {
  if (e.name === "SampleLoadError") return new SampleLoadError(e.message, e.index ?? -1, e.path);
  if (e.name === "KitError") return new KitError(e.message);
  const err = new Error(`${e.message} (in a data worker)`);
  if (e.stack) err.stack = `${err.message}\n${e.stack}`;
  return err;
}
