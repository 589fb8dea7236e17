/**
 * The model config: one discriminated union on `kind` for the four networks of the kit.
 *
 * - `hourglass`: Newell et al.'s stacked hourglass (intermediate supervision at factor 1).
 * - `mss`: Ke et al.'s MSS-net, heatmaps at factors 1, 2, 4, 8 inside every hourglass.
 * - `mss-msr`: MSS-net followed by the MSR-net regression network (Ke et al. §III-B).
 * - `mssh`: the multi-scale stacked hourglass (pre-processing network dispatching features
 *   into the stacks), with the inception-resnet-A block by default.
 *
 * Each variant's defaults are plain JSON (`modelDefaults(kind)`); `modelChoices` and
 * `modelVariants` plug into `mergeConfig` under the key `model`.
 *
 * @module
 */

import { KitError } from "../io/errors.ts";
import { type Choices, mergeConfig, type Variants } from "../config/config.ts";

/** The networks the kit builds. */
export const MODEL_KINDS = ["hourglass", "mss", "mss-msr", "mssh"] as const;

/** A network kind. */
export type ModelKind = typeof MODEL_KINDS[number];

/** Residual modules: Newell's bottleneck, or MSSH's inception-resnet-A. */
export const BLOCK_KINDS = ["bottleneck", "inception-resnet-a"] as const;

/** A residual module kind. */
export type BlockKind = typeof BLOCK_KINDS[number];

/**
 * How pre-processing features are dispatched into the stacks. `every` follows the MSSH paper's
 * text: "The input to each hourglass network consists of two parts, one is the dispatched feature
 * of pre-processing network and another is the output of the pre-level hourglass network" (§3),
 * and "The smallest scale feature map is sent to the first-level hourglass network, and the
 * largest scale feature map is sent to the last-level hourglass network, and other features from
 * the small to the large are successively dispatch to the hourglass network from front to rear"
 * (§3.2). With fewer scales than stacks (3 and 8 in §5.2.1) the paper leaves open which stacks
 * share a scale; our reading splits the stacks into consecutive runs, coarsest first
 * (`dispatchScales` in preprocess.ts). `spread` is the kit's earlier reading: each scale feeds one stack, spread
 * evenly (`dispatchStacks`), the other stacks get none.
 */
export const DISPATCH_RULES = ["every", "spread"] as const;

/** A dispatch rule. */
export type DispatchRule = typeof DISPATCH_RULES[number];

/** Heatmap factors (downsampling relative to the output map) a head can emit, finest first. */
export const HEAD_FACTORS = [1, 2, 4, 8] as const;

/** Keys every variant has. */
type CommonConfig = {
  /** Input side S in pixels; the heatmaps are S/4. */
  readonly inputSize: number;
  /** Heatmap channels (16 for MPII). */
  readonly joints: number;
  readonly stacks: number;
  /** Channels F of every residual module in the stacks. */
  readonly features: number;
  /** Recursion depth of each hourglass (4: 64x64 down to 4x4). */
  readonly depth: number;
  /** Residual modules in each of the up1, low1 and low3 chains of every level. */
  readonly residuals: number;
  readonly block: BlockKind;
};

/** Newell's stacked hourglass. */
export type HourglassConfig = CommonConfig & { readonly kind: "hourglass" };

/** Ke's MSS-net: heatmaps at each factor in `factors` (must contain 1) in every stack. */
export type MssConfig = CommonConfig & {
  readonly kind: "mss";
  readonly factors: readonly number[];
};

/** The MSR-net after the last stack. */
export type MsrConfig = {
  /** Channels of the regression hourglass. */
  readonly features: number;
  readonly depth: number;
  readonly residuals: number;
  /** Factors of the refined heatmaps it outputs (must contain 1). */
  readonly factors: readonly number[];
  /** Also feed the last stack's features (F channels) next to the heatmaps. */
  readonly withFeatures: boolean;
};

/** MSS-net followed by the MSR-net. */
export type MssMsrConfig = CommonConfig & {
  readonly kind: "mss-msr";
  readonly factors: readonly number[];
  readonly msr: MsrConfig;
};

/** The multi-scale stacked hourglass. */
export type MsshConfig = CommonConfig & {
  readonly kind: "mssh";
  /** Feature scales of the pre-processing network (S/2, S/4, S/8, ...). */
  readonly scales: number;
  /** `every` stack gets a feature (the paper's text, default) or `spread`: one stack per scale. */
  readonly dispatch: DispatchRule;
};

/** The `model` section of the experiment config. */
export type ModelConfig = HourglassConfig | MssConfig | MssMsrConfig | MsshConfig;

const common: CommonConfig = {
  inputSize: 256,
  joints: 16,
  stacks: 8,
  features: 256,
  depth: 4,
  residuals: 1,
  block: "bottleneck",
};

/**
 * The defaults of one variant: the papers' settings (8 stacks of 256 features at 256x256).
 *
 * @example
 * ```ts
 * modelDefaults("mss").factors; // [1, 2, 4, 8]
 * modelDefaults("mssh").block; // "inception-resnet-a"
 * ```
 */
export function modelDefaults(kind: ModelKind): ModelConfig;
export function modelDefaults(kind: string): ModelConfig;
export function modelDefaults(kind: string): ModelConfig {
  switch (kind) {
    case "hourglass":
      return { kind, ...common };
    case "mss":
      return { kind, ...common, factors: [1, 2, 4, 8] };
    case "mss-msr":
      return {
        kind,
        ...common,
        factors: [1, 2, 4, 8],
        msr: { features: 128, depth: 4, residuals: 1, factors: [1, 2, 4, 8], withFeatures: false },
      };
    case "mssh":
      return { kind, ...common, block: "inception-resnet-a", scales: 3, dispatch: "every" };
    default:
      throw new KitError(
        `config key "model.kind" must be one of ${MODEL_KINDS.join(", ")}; got ${
          JSON.stringify(kind)
        }`,
      );
  }
}

/** Closed choices of the model section, for `mergeConfig`. */
export const modelChoices: Choices = {
  "model.kind": MODEL_KINDS,
  "model.block": BLOCK_KINDS,
  "model.factors": HEAD_FACTORS,
  "model.msr.factors": HEAD_FACTORS,
  "model.dispatch": DISPATCH_RULES,
};

/** `model.kind` selects the variant's defaults, for `mergeConfig`. */
export const modelVariants: Variants = {
  model: { key: "kind", defaults: (kind) => modelDefaults(kind) },
};

function fail(key: string, want: string, value: unknown): never {
  throw new KitError(`config key "${key}" must be ${want}; got ${JSON.stringify(value)}`);
}

function int(key: string, value: number, min: number, max = Infinity): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in ${min}..${max}`;
    fail(key, `an integer ${range}`, value);
  }
}

function checkFactors(key: string, factors: readonly number[], depth: number): void {
  const deepest = 2 ** (depth - 1);
  if (factors[0] !== 1) fail(key, "a list starting with factor 1", factors);
  factors.forEach((f, i) => {
    if (!HEAD_FACTORS.includes(f as typeof HEAD_FACTORS[number]) || f > deepest) {
      fail(`${key}[${i}]`, `a power of two up to ${deepest} (depth ${depth})`, f);
    }
    if (i > 0 && f <= factors[i - 1]!) fail(key, "increasing factors without repeats", factors);
  });
}

/**
 * Checks the numbers of a model config (types and closed choices are `mergeConfig`'s job):
 * stacks >= 1, features even (a multiple of 4 for inception-resnet-A), input size a multiple of
 * 4 * 2^depth so every hourglass level has whole pixels, factors reachable at this depth.
 * Throws a KitError naming the key (under `prefix`) and the value; returns the config.
 *
 * @example
 * ```ts
 * validateModelConfig({ ...modelDefaults("hourglass"), stacks: 0 });
 * // throws KitError: config key "model.stacks" must be an integer >= 1; got 0
 * ```
 */
export function validateModelConfig<T extends ModelConfig>(cfg: T, prefix = "model"): T {
  const k = (key: string) => `${prefix}.${key}`;
  if (!(MODEL_KINDS as readonly string[]).includes(cfg.kind)) {
    fail(k("kind"), `one of ${MODEL_KINDS.join(", ")}`, cfg.kind);
  }
  if (!(BLOCK_KINDS as readonly string[]).includes(cfg.block)) {
    fail(k("block"), `one of ${BLOCK_KINDS.join(", ")}`, cfg.block);
  }
  int(k("stacks"), cfg.stacks, 1);
  int(k("joints"), cfg.joints, 1);
  int(k("depth"), cfg.depth, 1, 6);
  int(k("residuals"), cfg.residuals, 1);
  const quantum = cfg.block === "inception-resnet-a" ? 4 : 2;
  if (!Number.isInteger(cfg.features) || cfg.features < quantum || cfg.features % quantum) {
    fail(
      k("features"),
      `a positive multiple of ${quantum} for the ${cfg.block} block`,
      cfg.features,
    );
  }
  const multiple = 4 * 2 ** cfg.depth;
  if (!Number.isInteger(cfg.inputSize) || cfg.inputSize < multiple || cfg.inputSize % multiple) {
    fail(
      k("inputSize"),
      `a positive multiple of ${multiple} for depth ${cfg.depth}`,
      cfg.inputSize,
    );
  }
  if (cfg.kind === "mss" || cfg.kind === "mss-msr") {
    checkFactors(k("factors"), cfg.factors, cfg.depth);
  }
  if (cfg.kind === "mss-msr") {
    const m = cfg.msr;
    int(k("msr.depth"), m.depth, 1, 6);
    int(k("msr.residuals"), m.residuals, 1);
    if (!Number.isInteger(m.features) || m.features < 2 || m.features % 2) {
      fail(k("msr.features"), "a positive multiple of 2", m.features);
    }
    const outSize = cfg.inputSize / 4;
    if (outSize % 2 ** m.depth) {
      fail(k("msr.depth"), `at most log2 of the heatmap side ${outSize}`, m.depth);
    }
    checkFactors(k("msr.factors"), m.factors, m.depth);
  }
  if (cfg.kind === "mssh") {
    int(k("scales"), cfg.scales, 1, cfg.stacks);
    if (!(DISPATCH_RULES as readonly string[]).includes(cfg.dispatch)) {
      fail(k("dispatch"), `one of ${DISPATCH_RULES.join(", ")}`, cfg.dispatch);
    }
    if (cfg.inputSize % 2 ** cfg.scales) {
      fail(
        k("scales"),
        `small enough that S/2^scales is whole for S = ${cfg.inputSize}`,
        cfg.scales,
      );
    }
  }
  return cfg;
}

/**
 * Resolves a model config from a partial override (e.g. `{ kind: "mss", stacks: 2 }`): the
 * variant's defaults, unknown keys rejected by name, types, choices and numbers checked.
 *
 * @example
 * ```ts
 * const cfg = resolveModelConfig({ kind: "hourglass", stacks: 2, features: 64 });
 * resolveModelConfig({ kind: "mss", factor: [1] }); // throws: unknown config key "model.factor"
 * ```
 */
export function resolveModelConfig(override: unknown = {}): ModelConfig {
  const kind = (override as { kind?: unknown } | null)?.kind ?? "hourglass";
  const base = { model: modelDefaults(typeof kind === "string" ? kind : String(kind)) };
  const merged = mergeConfig(base, { model: override }, {
    choices: modelChoices,
    variants: modelVariants,
  });
  return validateModelConfig(merged.model);
}
