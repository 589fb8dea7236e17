/**
 * One typed config for the whole run. Each component exports its defaults as plain JSON; they
 * compose into an experiment config, and user overrides (an experiment file, `--set` flags) are
 * merged onto the defaults with every key and type checked, so a typo fails with its name
 * instead of being ignored.
 *
 * @module
 */

import { KitError } from "../io/errors.ts";

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

/** Allowed values of closed-choice keys, by dotted path (e.g. `"optimizer.name"`). */
export type Choices = Readonly<Record<string, readonly (string | number)[]>>;

/**
 * Discriminated unions inside a config: at `path`, the value of `key` (e.g. `model.kind`)
 * selects the defaults the rest of the object is checked against.
 */
export type Variants = Readonly<
  Record<string, { readonly key: string; readonly defaults: (tag: string) => ConfigObject }>
>;

/** How a merge checks values. */
export interface MergeRules {
  readonly choices?: Choices;
  readonly variants?: Variants;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

function checkChoice(path: string, value: unknown, rules: MergeRules): void {
  const allowed = rules.choices?.[path];
  if (allowed && !allowed.includes(value as string | number)) {
    throw new KitError(
      `config key "${path}" must be one of ${allowed.join(", ")}; got ${show(value)}`,
    );
  }
}

function mergeValue(def: ConfigValue, over: unknown, path: string, rules: MergeRules): ConfigValue {
  if (isObject(def)) {
    if (!isObject(over)) {
      throw new KitError(`config key "${path}" must be an object; got ${show(over)}`);
    }
    return mergeObject(def as ConfigObject, over, path, rules);
  }
  if (def === null) {
    // Optional values (a resume path, a limit) default to null and take any scalar.
    if (over !== null && !["number", "string", "boolean"].includes(typeof over)) {
      throw new KitError(
        `config key "${path}" takes a number, string or boolean; got ${show(over)}`,
      );
    }
    return over as ConfigValue;
  }
  if (Array.isArray(def)) {
    if (!Array.isArray(over)) {
      throw new KitError(`config key "${path}" must be an array; got ${show(over)}`);
    }
    const first = def[0];
    return over.map((item, i) =>
      first === undefined
        ? checkPlain(item, `${path}[${i}]`)
        : mergeValue(first, item, `${path}[${i}]`, {
          ...rules,
          choices: rules.choices?.[path] ? { [`${path}[${i}]`]: rules.choices[path]! } : {},
        })
    );
  }
  if (typeof over !== typeof def) {
    throw new KitError(`config key "${path}" must be a ${typeName(def)}; got ${show(over)}`);
  }
  if (typeof over === "number" && !Number.isFinite(over)) {
    throw new KitError(`config key "${path}" must be a finite number; got ${over}`);
  }
  checkChoice(path, over, rules);
  return over as ConfigValue;
}

function checkPlain(v: unknown, path: string): ConfigValue {
  if (v === null || ["number", "string", "boolean"].includes(typeof v)) return v as ConfigValue;
  if (Array.isArray(v)) return v.map((x, i) => checkPlain(x, `${path}[${i}]`));
  if (isObject(v) && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, checkPlain(x, `${path}.${k}`)]),
    );
  }
  throw new KitError(`config key "${path}" holds a ${typeName(v)}, not plain JSON`);
}

function mergeObject(
  defaults: ConfigObject,
  over: Record<string, unknown>,
  path: string,
  rules: MergeRules,
): ConfigObject {
  let base = defaults;
  const variant = rules.variants?.[path];
  if (variant) {
    const tag = over[variant.key] ?? defaults[variant.key];
    checkChoice(join(path, variant.key), tag, rules);
    if (typeof tag !== "string") {
      throw new KitError(
        `config key "${join(path, variant.key)}" must be a string; got ${show(tag)}`,
      );
    }
    // Switching variant starts from that variant's defaults, not the previous variant's keys.
    base = tag === defaults[variant.key] ? defaults : variant.defaults(tag);
  }
  const out: Record<string, ConfigValue> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const keyPath = join(path, key);
    if (!(key in base)) {
      const known = Object.keys(base).join(", ");
      throw new KitError(`unknown config key "${keyPath}" (${path || "the config"} has: ${known})`);
    }
    out[key] = mergeValue(base[key]!, value, keyPath, rules);
  }
  return out;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * Merges an override onto defaults, rejecting unknown keys (named with their full dotted path),
 * wrong types, non-finite numbers and values outside closed choices. Defaults are not modified.
 *
 * @example
 * ```ts
 * const cfg = mergeConfig({ optimizer: { name: "rmsprop", lr: 2.5e-4 } }, { optimizer: { lr: 1e-3 } });
 * cfg.optimizer.lr; // 0.001
 * mergeConfig({ optimizer: { lr: 1 } }, { optimizer: { lrr: 1 } });
 * // throws KitError: unknown config key "optimizer.lrr" (optimizer has: lr)
 * ```
 */
export function mergeConfig<T extends ConfigObject>(
  defaults: T,
  override: unknown,
  rules: MergeRules = {},
): T {
  if (!isObject(override)) throw new KitError(`a config must be an object; got ${show(override)}`);
  return mergeObject(defaults, override, "", rules) as T;
}

/**
 * Checks a complete config against the rules without changing it: every closed choice and
 * variant is validated. Use on configs built in code.
 *
 * @example
 * ```ts
 * validateConfig(defaults, { choices: { "optimizer.name": ["adam", "rmsprop", "sgd"] } });
 * ```
 */
export function validateConfig<T extends ConfigObject>(config: T, rules: MergeRules = {}): T {
  return mergeConfig(config, config, rules);
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
 * several `--set` flags before `mergeConfig` checks the result. `undefined` stands for no
 * override; any other non-object (an experiment file holding `[]`, `"x"` or `null`) is a
 * KitError, never silently the defaults.
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
export function formatConfig(config: ConfigObject, prefix = ""): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(config)) {
    const path = join(prefix, k);
    if (isObject(v)) lines.push(formatConfig(v as ConfigObject, path));
    else lines.push(`${path} = ${JSON.stringify(v)}`);
  }
  return lines.filter((l) => l.length > 0).join("\n");
}
