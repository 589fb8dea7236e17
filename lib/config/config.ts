/**
 * One typed config for the whole run, declared once per section as a zod schema: each key's
 * type, default, closed choices and range are one line, and the TypeScript type is inferred from
 * it. Sections are strict objects, so a typo fails with its dotted name instead of being
 * ignored; a missing key takes its default. Checks that span keys are `.superRefine` steps
 * calling `expect`. `parseConfig` turns zod's first issue into a KitError that names the
 * dotted key, what it must be and the value it got.
 *
 * It stays one file (about 330 lines) because the `--set` parsing and printing at its end share
 * the value-naming helpers of the error messages, which must read the same in both.
 *
 * @module
 */

import { z } from "zod";
import { KitError } from "../io/errors.ts";

export { z };

/** A JSON value allowed in a config: no functions, classes or tensors. */
export type ConfigValue =
  | number
  | string
  | boolean
  | null
  | readonly ConfigValue[]
  | { readonly [key: string]: ConfigValue };

/** A config object. */
export type ConfigObject = { readonly [key: string]: ConfigValue };

/** `T` with every property and array read-only, all the way down. */
export type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

/**
 * The config type a schema produces, read-only.
 *
 * @example
 * ```ts
 * const optimizerSchema = section({ lr: positive().default(1e-3) });
 * type OptimizerConfig = Infer<typeof optimizerSchema>; // { readonly lr: number }
 * ```
 */
export type Infer<S extends z.ZodType> = DeepReadonly<z.output<S>>;

/** Prefix of an unknown-key issue's message: the keys the section does have follow. */
const KNOWN = "has: ";

/**
 * A strict object: unknown keys are rejected (named with the keys it has), missing ones take
 * their defaults. Use `section` for a config section; this is the object itself, for unions.
 *
 * @example
 * ```ts
 * const hourglass = strict({ kind: z.literal("hourglass"), stacks: int(1).default(8) });
 * ```
 */
export function strict<S extends z.core.$ZodLooseShape>(shape: S): z.ZodObject<S, z.core.$strict> {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (iss) => iss.code === "unrecognized_keys" ? `${KNOWN}${known}` : undefined,
  });
}

/**
 * A config section: a `strict` object that is itself optional, so an override that leaves the
 * whole section out gets every default.
 *
 * @example
 * ```ts
 * const evalSchema = section({ every: int(1).default(1), flip: z.boolean().default(false) });
 * evalSchema.parse({}); // { every: 1, flip: false }
 * ```
 */
export function section<S extends z.core.$ZodLooseShape>(shape: S) {
  return strict(shape).prefault({} as z.input<z.ZodObject<S, z.core.$strict>>);
}

/**
 * A number for which `ok` holds; `want` completes the error's "must be ...".
 *
 * @example
 * ```ts
 * const sigma = num("> 0", (v) => v > 0).default(1);
 * ```
 */
export function num(want: string, ok: (v: number) => boolean): z.ZodNumber {
  return z.number().refine(ok, { message: want });
}

/**
 * An integer in `min..max`.
 *
 * @example
 * ```ts
 * const stacks = int(1).default(8); // "must be an integer >= 1"
 * const depth = int(1, 6).default(4); // "must be an integer in 1..6"
 * ```
 */
export function int(min: number, max = Infinity): z.ZodNumber {
  return num(
    max === Infinity ? `an integer >= ${min}` : `an integer in ${min}..${max}`,
    (v) => Number.isInteger(v) && v >= min && v <= max,
  );
}

/**
 * A number >= `min` (by default 0).
 *
 * @example
 * ```ts
 * const alpha = atLeast().default(1); // "must be a number >= 0"
 * ```
 */
export function atLeast(min = 0): z.ZodNumber {
  return num(`a number >= ${min}`, (v) => v >= min);
}

/**
 * A number > 0.
 *
 * @example
 * ```ts
 * const lr = positive().default(2.5e-4); // "must be a number > 0"
 * ```
 */
export function positive(): z.ZodNumber {
  return num("a number > 0", (v) => v > 0);
}

/**
 * A probability, in [0, 1].
 *
 * @example
 * ```ts
 * const flipProb = probability().default(0.5); // "must be in [0, 1]"
 * ```
 */
export function probability(): z.ZodNumber {
  return num("in [0, 1]", (v) => v >= 0 && v <= 1);
}

/**
 * A closed choice (a literal union) that also reads the spellings a value had before it was
 * renamed: `renamed` maps each old spelling to the current one, so a config saved by an earlier
 * run resolves to the same config as today's spelling. Anything else must be one of `choices`.
 *
 * @example
 * ```ts
 * const trains = choice(["all", "msr-only"], { msr: "msr-only" });
 * trains.parse("msr"); // "msr-only"
 * ```
 */
export function choice<const T extends readonly [string, ...string[]]>(
  choices: T,
  renamed: Readonly<Record<string, T[number]>> = {},
) {
  return z.preprocess(
    (v) => (typeof v === "string" && Object.hasOwn(renamed, v) ? renamed[v] : v),
    z.enum(choices),
  );
}

/**
 * In a `.superRefine` step: reports `path` (dotted, relative to the refined object, e.g.
 * `"augment.flip"` or `"stages[0].trains"`) as "must be `want`; got `value`" unless `ok`.
 * Returns `ok`, so later checks can depend on earlier ones.
 *
 * @example
 * ```ts
 * strict({ min: z.number(), max: z.number() }).superRefine((c, ctx) => {
 *   expect(ctx, c.max >= c.min, "max", ">= min", c.max);
 * });
 * ```
 */
export function expect(
  ctx: z.RefinementCtx,
  ok: boolean,
  path: string,
  want: string,
  value: unknown,
): boolean {
  if (!ok) {
    const segments = path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "")
      .map((s) => /^\d+$/.test(s) ? Number(s) : s);
    ctx.addIssue({ code: "custom", path: segments, message: want, input: value });
  }
  return ok;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function show(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** One zod issue as the kit's message: the dotted key, what it must be, what it got. */
function describe(issue: z.core.$ZodIssue, prefix: string): string {
  const path = issue.path.reduce<string>((p, k) => join(p, k as string | number), prefix);
  const got = show(issue.input);
  switch (issue.code) {
    case "unrecognized_keys": {
      const has = issue.message.startsWith(KNOWN)
        ? ` (${path || "the config"} ${issue.message})`
        : "";
      return `unknown config key "${join(path, issue.keys[0]!)}"${has}`;
    }
    case "invalid_value":
      return `config key "${path}" must be one of ${issue.values.join(", ")}; got ${got}`;
    case "invalid_union": {
      // A discriminated union (the model on `kind`) names its options and the whole object.
      const { discriminator, options } = issue as { discriminator?: string; options?: unknown[] };
      if (discriminator && options && isObject(issue.input)) {
        const tag = show(issue.input[discriminator]);
        return `config key "${path}" must be one of ${options.join(", ")}; got ${tag}`;
      }
      return `config key "${path}" ${issue.message}; got ${got}`;
    }
    case "invalid_type": {
      const received = (issue as { received?: string }).received;
      if (issue.expected === "number" && (received === "Infinity" || received === "NaN")) {
        return `config key "${path}" must be a finite number; got ${received}`;
      }
      if (path === "") return `a config must be an object; got ${got}`;
      const article = /^[aeiou]/.test(issue.expected) ? "an" : "a";
      return `config key "${path}" must be ${article} ${issue.expected}; got ${got}`;
    }
    case "custom":
      return `config key "${path}" must be ${issue.message}; got ${got}`;
    default:
      return `config key "${path}": ${issue.message}; got ${got}`;
  }
}

/**
 * Parses `value` with a config schema: the config with every default filled in, or a KitError
 * naming the first problem's dotted key (under `prefix`, e.g. `"data"`) and value. An unknown
 * key is reported before anything else, since it is most often a typo of a key whose value then
 * looks missing.
 *
 * @example
 * ```ts
 * const schema = section({ optimizer: section({ lr: positive().default(2.5e-4) }) });
 * parseConfig(schema, { optimizer: { lr: 1e-3 } }).optimizer.lr; // 0.001
 * parseConfig(schema, { optimizer: { lrr: 1 } });
 * // throws KitError: unknown config key "optimizer.lrr" (optimizer has: lr)
 * ```
 */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix = "",
): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues;
  const first = issues.find((i) => i.code === "unrecognized_keys") ?? issues[0]!;
  throw new KitError(describe(first, prefix));
}

/**
 * Parses one `--set key.path=value` override into a nested object. The value is read as JSON
 * when it parses (numbers, booleans, arrays, quoted strings) and as a plain string otherwise.
 *
 * @example
 * ```ts
 * parseSet("optimizer.lr=5e-4"); // { optimizer: { lr: 0.0005 } }
 * parseSet("model.kind=mss"); // { model: { kind: "mss" } }
 * ```
 */
export function parseSet(assignment: string): Record<string, unknown> {
  const eq = assignment.indexOf("=");
  if (eq <= 0) {
    throw new KitError(`--set takes key.path=value; got "${assignment}"`);
  }
  const keys = assignment.slice(0, eq).trim().split(".");
  const raw = assignment.slice(eq + 1).trim();
  if (keys.some((k) => k.length === 0)) {
    throw new KitError(`--set has an empty key in "${assignment}"`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  const root: Record<string, unknown> = {};
  let node = root;
  keys.forEach((k, i) => {
    if (i === keys.length - 1) node[k] = value;
    else node = (node[k] = {}) as Record<string, unknown>;
  });
  return root;
}

/**
 * Deep-merges plain override objects, later ones winning: combines an experiment file with
 * several `--set` flags before a schema checks the result. Arrays are replaced, not merged.
 * `undefined` stands for no override; any other non-object (an experiment file holding `[]`,
 * `"x"` or `null`) is a KitError, never silently the defaults.
 *
 * @example
 * ```ts
 * combineOverrides({ a: { b: 1 } }, { a: { c: 2 } }); // { a: { b: 1, c: 2 } }
 * ```
 */
export function combineOverrides(...overrides: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of overrides) {
    if (o === undefined) continue;
    if (!isObject(o)) {
      throw new KitError(
        `a config must be a JSON object ({...}); got ${
          o === null ? "null" : `${typeName(o)} ${show(o)}`
        }`,
      );
    }
    for (const [k, v] of Object.entries(o)) {
      out[k] = isObject(v) && isObject(out[k]) ? combineOverrides(out[k], v) : v;
    }
  }
  return out;
}

/**
 * Renders a config for the start-of-run printout: one `key.path = value` line per leaf.
 *
 * @example
 * ```ts
 * formatConfig({ optimizer: { lr: 0.001 } }); // "optimizer.lr = 0.001"
 * ```
 */
export function formatConfig(config: object, prefix = ""): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    const path = join(prefix, k);
    if (isObject(v)) lines.push(formatConfig(v, path));
    else lines.push(`${path} = ${JSON.stringify(v)}`);
  }
  return lines.filter((l) => l.length > 0).join("\n");
}
