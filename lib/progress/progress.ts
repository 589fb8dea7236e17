/**
 * Progress for long work (training, evaluation, export, dataset generation): a live bar on a
 * terminal, plain periodic lines otherwise (CI logs, notebooks, pipes). The rate and ETA come
 * from measured throughput, not from a guess.
 *
 * @module
 */

/** Where and how progress is written. */
export interface ProgressOptions {
  /** Total units of work (steps, samples); unknown totals show no ETA. */
  readonly total?: number;
  /** Name of one unit in the rate, e.g. "samples". */
  readonly unit?: string;
  /** Label at the start of each line. */
  readonly label?: string;
  /** Redraw a bar in place (terminal) or print lines. Default: stdout is a terminal. */
  readonly live?: boolean;
  /** Minimum milliseconds between plain lines. */
  readonly everyMs?: number;
  /** Output sink; default writes to stdout. */
  readonly write?: (text: string) => void;
  /** Clock in ms; tests inject one. */
  readonly now?: () => number;
}

/**
 * Formats seconds as `1h02m`, `3m07s` or `42s`.
 *
 * @example
 * ```ts
 * formatDuration(187); // "3m07s"
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(r).padStart(2, "0")}s`;
  return `${r}s`;
}

const encoder = new TextEncoder();

function defaultWrite(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text));
}

/**
 * A progress reporter with rate and ETA.
 *
 * @example
 * ```ts
 * const p = new Progress({ total: 100, unit: "steps", label: "train" });
 * for (let i = 0; i < 100; i++) p.tick(1, { loss: 0.1 });
 * p.done();
 * ```
 */
export class Progress {
  readonly #opts: Required<Omit<ProgressOptions, "total">> & { total?: number };
  readonly #start: number;
  #done = 0;
  #lastLine = -Infinity;
  #fields: Record<string, number | string> = {};

  constructor(options: ProgressOptions = {}) {
    this.#opts = {
      unit: "it",
      label: "",
      live: options.live ?? Deno.stdout.isTerminal(),
      everyMs: 10_000,
      write: defaultWrite,
      now: () => performance.now(),
      ...options,
    };
    this.#start = this.#opts.now();
  }

  /** Units completed so far. */
  get completed(): number {
    return this.#done;
  }

  /** Measured throughput in units per second (0 before any unit completes). */
  get rate(): number {
    const elapsed = (this.#opts.now() - this.#start) / 1000;
    return elapsed > 0 ? this.#done / elapsed : 0;
  }

  /** Seconds left at the measured rate, or undefined when the total or rate is unknown. */
  get eta(): number | undefined {
    const { total } = this.#opts;
    if (total === undefined || this.rate === 0) return undefined;
    return Math.max(0, total - this.#done) / this.rate;
  }

  /** Records `n` more completed units and the latest values to show (loss, lr, ...). */
  tick(n = 1, fields: Record<string, number | string> = {}): void {
    this.#done += n;
    this.#fields = { ...this.#fields, ...fields };
    const now = this.#opts.now();
    if (this.#opts.live) {
      this.#opts.write(`\r\x1b[2K${this.line()}`);
    } else if (now - this.#lastLine >= this.#opts.everyMs) {
      this.#lastLine = now;
      this.#opts.write(`${this.line()}\n`);
    }
  }

  /** The current status line. */
  line(): string {
    const { total, unit, label } = this.#opts;
    const parts: string[] = [];
    if (label) parts.push(label);
    if (total !== undefined) {
      const frac = total > 0 ? Math.min(1, this.#done / total) : 1;
      const width = 20;
      const filled = Math.round(frac * width);
      parts.push(`[${"#".repeat(filled)}${".".repeat(width - filled)}]`);
      parts.push(`${this.#done}/${total}`);
    } else {
      parts.push(`${this.#done}`);
    }
    for (const [k, v] of Object.entries(this.#fields)) {
      parts.push(`${k} ${typeof v === "number" ? formatNumber(v) : v}`);
    }
    parts.push(`${formatNumber(this.rate)} ${unit}/s`);
    const elapsed = (this.#opts.now() - this.#start) / 1000;
    parts.push(`elapsed ${formatDuration(elapsed)}`);
    const eta = this.eta;
    if (eta !== undefined && this.#done < (total ?? 0)) parts.push(`ETA ${formatDuration(eta)}`);
    return parts.join("  ");
  }

  /** Prints the final line. */
  done(): void {
    this.#opts.write(this.#opts.live ? `\r\x1b[2K${this.line()}\n` : `${this.line()}\n`);
  }
}

function formatNumber(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1000 || a < 1e-3) return v.toExponential(2);
  return v.toPrecision(4).replace(/\.?0+$/, "");
}
