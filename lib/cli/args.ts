/**
 * Command-line parsing for the kit's tasks: declared flags only, unknown flags rejected by name,
 * and user errors printed as one clear line instead of a stack trace.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";
import { isAbsolute, resolve } from "@std/path";
import { KitError } from "../io/errors.ts";

/** Declared flags of one command. */
export interface FlagSpec {
  readonly string?: readonly string[];
  readonly boolean?: readonly string[];
  /** Flags that may repeat (e.g. `--set`), collected into arrays. */
  readonly collect?: readonly string[];
  readonly default?: Record<string, string | boolean>;
  readonly alias?: Record<string, string>;
}

/** Parsed flags: strings, booleans, repeated strings, and positional arguments in `_`. */
export type Flags = Record<string, string | boolean | string[] | undefined> & { _: string[] };

/**
 * Parses `args` against a spec; an unknown flag throws a KitError naming it and the usage.
 *
 * @example
 * ```ts
 * const flags = parseFlags(["--count", "8", "--set", "a=1"], { string: ["count"], collect: ["set"] }, "usage: ...");
 * flags.count; // "8"
 * flags.set; // ["a=1"]
 * ```
 */
export function parseFlags(args: readonly string[], spec: FlagSpec, usage: string): Flags {
  const known = new Set([
    ...(spec.string ?? []),
    ...(spec.boolean ?? []),
    ...(spec.collect ?? []),
    ...Object.keys(spec.alias ?? {}),
    "help",
  ]);
  const valued = new Set([...(spec.string ?? []), ...(spec.collect ?? [])]);
  const parsed = parseArgs(attachNegativeValues(args, valued), {
    string: [...(spec.string ?? []), ...(spec.collect ?? [])],
    boolean: [...(spec.boolean ?? []), "help"],
    collect: [...(spec.collect ?? [])],
    default: spec.default,
    alias: spec.alias,
    unknown: (arg: string) => {
      if (!arg.startsWith("-")) return true;
      const name = arg.replace(/^-+/, "").split("=")[0]!;
      if (known.has(name)) return true;
      throw new KitError(`unknown flag "${arg}"\n${usage}`);
    },
  });
  if (parsed.help) {
    console.log(usage);
    Deno.exit(0);
  }
  return { ...parsed, _: parsed._.map(String) } as Flags;
}

/** A negative number, which a flag parser would otherwise read as a short flag ("-1"). */
const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity$)/;

/**
 * Joins a value-taking flag with a following negative number (`--alpha -1` becomes
 * `--alpha=-1`), so the number reaches the flag's own range check instead of being reported as
 * an unknown flag "-1".
 *
 * @example
 * ```ts
 * attachNegativeValues(["--alpha", "-1"], new Set(["alpha"])); // ["--alpha=-1"]
 * ```
 */
export function attachNegativeValues(
  args: readonly string[],
  valued: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith("--") && !arg.includes("=") ? arg.slice(2) : undefined;
    if (
      name !== undefined && valued.has(name) && next !== undefined && NEGATIVE_NUMBER.test(next)
    ) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * A path the user typed, resolved against the folder they typed it in. `deno task` runs commands
 * in the repository root and passes the user's folder as INIT_CWD, so a relative path from a
 * subfolder would otherwise name the wrong file; outside a task (or in the root) it is unchanged.
 *
 * @example
 * ```ts
 * userPath("my.json"); // "/home/me/posekit/configs/my.json" when run from configs/ by deno task
 * ```
 */
export function userPath(path: string): string {
  const from = Deno.env.get("INIT_CWD");
  if (!from || isAbsolute(path) || resolve(from) === resolve(Deno.cwd())) return path;
  return resolve(from, path);
}

/**
 * Reads a numeric flag, naming the flag when the value is not a number in range.
 *
 * @example
 * ```ts
 * numberFlag(flags, "count", 100, { min: 1, integer: true });
 * ```
 */
export function numberFlag(
  flags: Flags,
  name: string,
  fallback: number,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const { min = -Infinity, max = Infinity, integer = false } = range;
  if (
    typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) || value < min || value > max
  ) {
    const kind = integer ? "an integer" : "a number";
    const bounds = [min > -Infinity ? `>= ${min}` : "", max < Infinity ? `<= ${max}` : ""]
      .filter(Boolean).join(" and ");
    throw new KitError(`--${name} must be ${kind}${bounds ? ` ${bounds}` : ""}; got "${raw}"`);
  }
  return value;
}

/**
 * Reads a closed-choice flag, naming the bad value and the choices.
 *
 * @example
 * ```ts
 * choiceFlag(flags, "convention", ["bearpaw", "official"], "bearpaw");
 * ```
 */
export function choiceFlag<T extends string>(
  flags: Flags,
  name: string,
  choices: readonly T[],
  fallback: T,
): T {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (typeof raw === "string" && (choices as readonly string[]).includes(raw)) return raw as T;
  throw new KitError(`--${name} must be one of ${choices.join(", ")}; got "${raw}"`);
}

/**
 * Runs a command's main function: a KitError (bad input) prints `error: <message>` and exits
 * with status 2, without a stack trace; other errors are bugs and keep theirs.
 *
 * @example
 * ```ts
 * if (import.meta.main) await runMain(() => main(Deno.args));
 * ```
 */
export async function runMain(main: () => Promise<void> | void): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof KitError) {
      console.error(`error: ${e.message}`);
      Deno.exit(2);
    }
    throw e;
  }
}
