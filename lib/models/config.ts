/**
 * The model config: one discriminated union on `kind` for the four networks of the kit.
 *
 * - `hourglass`: Newell et al.'s stacked hourglass (intermediate supervision at factor 1).
 * - `mss`: Ke et al.'s MSS-net, heatmaps at factors 1, 2, 4, 8 inside every hourglass.
 * - `mss-msr`: MSS-net followed by the MSR-net regression network (Ke et al. §III-B).
 * - `mssh`: the multi-scale stacked hourglass (pre-processing network dispatching features
 *   into the stacks), with the inception-resnet-A block by default.
 *
 * `modelSchema` declares each variant's keys, defaults and ranges once; `modelDefaults(kind)`
 * gives a variant's defaults as plain JSON.
 *
 * @module
 */

import { expect, type Infer, int, num, parseConfig, section, strict, z } from "../config/config.ts";

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
 * (`dispatchScales` in mssh.ts). `spread` is the kit's earlier reading: each scale feeds one stack, spread
 * evenly (`dispatchStacks`), the other stacks get none.
 */
export const DISPATCH_RULES = ["every", "spread"] as const;

/** A dispatch rule. */
export type DispatchRule = typeof DISPATCH_RULES[number];

/** Heatmap factors (downsampling relative to the output map) a head can emit, finest first. */
export const HEAD_FACTORS = [1, 2, 4, 8] as const;

/** Keys every variant has; the papers' settings (8 stacks of 256 features at 256x256). */
const common = {
  /** Input side S in pixels; the heatmaps are S/4. */
  inputSize: z.number().default(256),
  /** Heatmap channels (16 for MPII). */
  joints: int(1).default(16),
  stacks: int(1).default(8),
  /** Channels F of every residual module in the stacks. */
  features: z.number().default(256),
  /** Recursion depth of each hourglass (4: 64x64 down to 4x4). */
  depth: int(1, 6).default(4),
  /** Residual modules in each of the up1, low1 and low3 chains of every level. */
  residuals: int(1).default(1),
  block: z.enum(BLOCK_KINDS).default("bottleneck"),
};

/**
 * Heatmap factors a head emits: some of 1, 2, 4, 8, starting with 1, increasing. Typed as
 * `number[]` (the literal check stays at run time) so code can pass factors it computed.
 */
const factors = () =>
  z.array(z.literal(HEAD_FACTORS)).default(() => [...HEAD_FACTORS]) as z.ZodDefault<
    z.ZodArray<z.ZodType<number>>
  >;

/** The MSR-net after the last stack. */
const msrSchema = section({
  /** Channels of the regression hourglass. */
  features: num("a positive multiple of 2", (v) => Number.isInteger(v) && v >= 2 && v % 2 === 0)
    .default(128),
  depth: int(1, 6).default(4),
  residuals: int(1).default(1),
  /** Factors of the refined heatmaps it outputs (must contain 1). */
  factors: factors(),
  /** Also feed the last stack's features (F channels) next to the heatmaps. */
  withFeatures: z.boolean().default(false),
}).superRefine((m, ctx) => checkFactors(ctx, "factors", m.factors, m.depth));

/** One schema per network, keyed on `kind`. */
const variants = [
  /** Newell's stacked hourglass. */
  strict({ kind: z.literal("hourglass"), ...common }),
  /** Ke's MSS-net: heatmaps at each factor in `factors` (must contain 1) in every stack. */
  strict({ kind: z.literal("mss"), ...common, factors: factors() }),
  /** MSS-net followed by the MSR-net. */
  strict({ kind: z.literal("mss-msr"), ...common, factors: factors(), msr: msrSchema }),
  /** The multi-scale stacked hourglass. */
  strict({
    kind: z.literal("mssh"),
    ...common,
    block: z.enum(BLOCK_KINDS).default("inception-resnet-a"),
    /** Feature scales of the pre-processing network (S/2, S/4, S/8, ...). */
    scales: int(1).default(3),
    /** `every` stack gets a feature (the paper's text, default) or `spread`: one stack per scale. */
    dispatch: z.enum(DISPATCH_RULES).default("every"),
  }),
] as const;

/**
 * The `model` section: a union keyed on `model.kind` (default `hourglass`), each variant with
 * its own keys and defaults, and the checks that span keys (input size against depth, factors
 * reachable at this depth, scales at most the stacks).
 */
export const modelSchema = z.preprocess(
  (v) =>
    v === undefined
      ? { kind: "hourglass" }
      : isObject(v) && !("kind" in v)
      ? { ...v, kind: "hourglass" }
      : v,
  z.discriminatedUnion("kind", variants).superRefine(checkModel),
);

/** The `model` section of the experiment config. */
export type ModelConfig = Infer<typeof modelSchema>;
/** Newell's stacked hourglass. */
export type HourglassConfig = Extract<ModelConfig, { kind: "hourglass" }>;
/** Ke's MSS-net: heatmaps at each factor in `factors` (must contain 1) in every stack. */
export type MssConfig = Extract<ModelConfig, { kind: "mss" }>;
/** MSS-net followed by the MSR-net. */
export type MssMsrConfig = Extract<ModelConfig, { kind: "mss-msr" }>;
/** The MSR-net after the last stack. */
export type MsrConfig = MssMsrConfig["msr"];
/** The multi-scale stacked hourglass. */
export type MsshConfig = Extract<ModelConfig, { kind: "mssh" }>;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The defaults of one variant: the papers' settings (8 stacks of 256 features at 256x256).
 *
 * @example
 * ```ts
 * modelDefaults("mss").factors; // [1, 2, 4, 8]
 * modelDefaults("mssh").block; // "inception-resnet-a"
 * ```
 */
export function modelDefaults<K extends ModelKind>(kind: K): Extract<ModelConfig, { kind: K }>;
export function modelDefaults(kind: string): ModelConfig;
export function modelDefaults(kind: string): ModelConfig {
  return parseConfig(modelSchema, { kind }, "model");
}

/** The keys that size a network and mean the same in every kind. */
export type ModelSize = Pick<
  ModelConfig,
  "inputSize" | "joints" | "stacks" | "features" | "depth" | "residuals"
>;

/**
 * The size of a model config (input, joints, stacks, features, depth, residuals): to build
 * another kind of network at the same size, as the ablation rows and the parity twins do.
 * `block` is left out, since its default differs by kind.
 *
 * @example
 * ```ts
 * resolveModelConfig({ kind: "mss", ...modelSize(modelDefaults("hourglass")) }).stacks; // 8
 * ```
 */
export function modelSize(m: ModelConfig): ModelSize {
  const { inputSize, joints, stacks, features, depth, residuals } = m;
  return { inputSize, joints, stacks, features, depth, residuals };
}

function checkFactors(
  ctx: z.RefinementCtx,
  key: string,
  factors: readonly number[],
  depth: number,
): void {
  const deepest = 2 ** (depth - 1);
  if (!expect(ctx, factors[0] === 1, key, "a list starting with factor 1", factors)) return;
  factors.forEach((f, i) => {
    expect(
      ctx,
      f <= deepest,
      `${key}[${i}]`,
      `a power of two up to ${deepest} (depth ${depth})`,
      f,
    );
    if (i > 0) expect(ctx, f > factors[i - 1]!, key, "increasing factors without repeats", factors);
  });
}

/**
 * The checks that span keys: features a multiple of 2 (of 4 for inception-resnet-A), input size
 * a multiple of 4 * 2^depth so every hourglass level has whole pixels, factors reachable at this
 * depth, the MSR-net's depth within the heatmap, MSSH's scales within the stacks and the input.
 */
function checkModel(cfg: z.output<typeof variants[number]>, ctx: z.RefinementCtx): void {
  const quantum = cfg.block === "inception-resnet-a" ? 4 : 2;
  expect(
    ctx,
    Number.isInteger(cfg.features) && cfg.features >= quantum && cfg.features % quantum === 0,
    "features",
    `a positive multiple of ${quantum} for the ${cfg.block} block`,
    cfg.features,
  );
  const multiple = 4 * 2 ** cfg.depth;
  expect(
    ctx,
    Number.isInteger(cfg.inputSize) && cfg.inputSize >= multiple && cfg.inputSize % multiple === 0,
    "inputSize",
    `a positive multiple of ${multiple} for depth ${cfg.depth}`,
    cfg.inputSize,
  );
  if (cfg.kind === "mss" || cfg.kind === "mss-msr") {
    checkFactors(ctx, "factors", cfg.factors, cfg.depth);
  }
  if (cfg.kind === "mss-msr") {
    const outSize = cfg.inputSize / 4;
    expect(
      ctx,
      outSize % 2 ** cfg.msr.depth === 0,
      "msr.depth",
      `at most log2 of the heatmap side ${outSize}`,
      cfg.msr.depth,
    );
  }
  if (cfg.kind === "mssh") {
    expect(
      ctx,
      cfg.scales <= cfg.stacks,
      "scales",
      `an integer in 1..${cfg.stacks}`,
      cfg.scales,
    );
    expect(
      ctx,
      cfg.inputSize % 2 ** cfg.scales === 0,
      "scales",
      `small enough that S/2^scales is whole for S = ${cfg.inputSize}`,
      cfg.scales,
    );
  }
}

/**
 * Checks a model config built in code (types, choices and numbers), throwing a KitError that
 * names the key (under `prefix`) and the value; returns the config.
 *
 * @example
 * ```ts
 * validateModelConfig({ ...modelDefaults("hourglass"), stacks: 0 });
 * // throws KitError: config key "model.stacks" must be an integer >= 1; got 0
 * ```
 */
export function validateModelConfig<T extends ModelConfig>(cfg: T, prefix = "model"): T {
  parseConfig(modelSchema, cfg, prefix);
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
  return parseConfig(modelSchema, override, "model");
}
