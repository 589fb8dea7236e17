/**
 * The run log: one JSON object per line (`log.jsonl`) for every logged step and validation, which
 * notebooks read back to plot curves.
 *
 * @module
 */

import { writeFileAtomic } from "../io/atomic.ts";
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
   * its history, so the log matches the checkpoint), and with `epoch` (epochs the checkpoint
   * completed) the validations of later epochs: a checkpoint taken at an epoch's last step but
   * before its validation validates again when resumed. Lines that do not parse (the last one cut by
   * a kill mid-write) are dropped and every good line is kept; the rewrite is atomic. Returns the
   * number of unreadable lines dropped.
   */
  async truncateAfter(step: number, epoch = Infinity): Promise<number> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return 0;
      throw new KitError(`${this.path}: cannot read run log (${(e as Error).message})`);
    }
    const { records, bad } = parseLines(text);
    const kept = records.filter((r) => r.step <= step && (r.kind !== "val" || r.epoch <= epoch));
    await writeFileAtomic(this.path, kept.map((r) => JSON.stringify(r) + "\n").join(""));
    return bad.length;
  }
}

function parseLines(text: string): { records: LogRecord[]; bad: number[] } {
  const records: LogRecord[] = [];
  const bad: number[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch {
      bad.push(i + 1);
    }
  });
  return { records, bad };
}

/**
 * Reads a run log; a malformed line is reported with its line number, except a last line cut
 * short by a kill, which is left out.
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
  const { records, bad } = parseLines(text);
  // A last line without its newline is a record cut short by a kill: the lines before it stand.
  const cut = text.endsWith("\n") ? undefined : text.split("\n").length;
  const first = bad.find((line) => line !== cut);
  if (first !== undefined) throw new KitError(`${path}:${first}: not a JSON record`);
  return records;
}
