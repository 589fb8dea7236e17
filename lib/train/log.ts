/**
 * The run log: one JSON object per line (`log.jsonl`) for every logged step and validation, which
 * notebooks read back to plot curves.
 *
 * @module
 */

import { KitError } from "../io/errors.ts";

/** A training-step record. */
export interface StepRecord {
  readonly kind: "step";
  readonly step: number;
  readonly epoch: number;
  readonly stage: string;
  readonly loss: number;
  /** Loss per output, keyed like `stack1/x1`, `msr/x2`. */
  readonly parts: Record<string, number>;
  readonly lr: number;
  readonly samplesPerSec: number;
  readonly time: string;
}

/** A validation record. */
export interface ValRecord {
  readonly kind: "val";
  readonly step: number;
  readonly epoch: number;
  readonly stage: string;
  /** PCKh@0.5 per part and Mean, in percent. */
  readonly pckh: Record<string, number>;
  readonly loss?: number;
  readonly time: string;
}

/** Any record of the run log. */
export type LogRecord = StepRecord | ValRecord | {
  readonly kind: "event";
  readonly step: number;
  readonly message: string;
  readonly time: string;
};

/**
 * Appends records to a run's `log.jsonl`.
 *
 * @example
 * ```ts
 * const log = new RunLog("runs/hg/log.jsonl");
 * await log.append({ kind: "event", step: 0, message: "start", time: new Date().toISOString() });
 * ```
 */
export class RunLog {
  constructor(readonly path: string) {}

  /** Appends one record as a line. */
  async append(record: LogRecord): Promise<void> {
    await Deno.writeTextFile(this.path, JSON.stringify(record) + "\n", {
      append: true,
      create: true,
    });
  }

  /**
   * Drops records after `step` (a run resumed from an earlier checkpoint rewrites that part of
   * its history, so the log matches the checkpoint).
   */
  async truncateAfter(step: number): Promise<void> {
    const kept = (await readRunLog(this.path).catch(() => [])).filter((r) => r.step <= step);
    await Deno.writeTextFile(this.path, kept.map((r) => JSON.stringify(r) + "\n").join(""));
  }
}

/**
 * Reads a run log; a malformed line is reported with its line number.
 *
 * @example
 * ```ts
 * const steps = (await readRunLog("runs/hg/log.jsonl")).filter((r) => r.kind === "step");
 * ```
 */
export async function readRunLog(path: string): Promise<LogRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new KitError(`${path}: cannot read run log (${(e as Error).message})`);
  }
  return text.split("\n").flatMap((line, i) => {
    if (line.trim() === "") return [];
    try {
      return [JSON.parse(line) as LogRecord];
    } catch {
      throw new KitError(`${path}:${i + 1}: not a JSON record`);
    }
  });
}
