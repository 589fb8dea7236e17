/**
 * The data config: which dataset, where it lives, crop and target sizes, SynthPose's difficulty
 * knobs, augmentation and keypoint masking, declared once as a schema (`dataSchema`). Plain JSON;
 * the experiment config holds it under the key `data`, so dotted paths in messages start with `data.`.
 *
 * It stays one file (about 380 lines) because it is one config section: the schema and the
 * SynthPose level tables it fills defaults from are read together, one key per line.
 *
 * @module
 */

import {
  combineOverrides,
  expect,
  type Infer,
  int,
  num,
  parseConfig,
  probability,
  section,
  strict,
  z,
} from "../config/config.ts";

/** Datasets the kit reads. */
export const DATASET_CHOICES = ["synth", "mpii_h5", "mpii_json", "lsp", "flic"] as const;

/** A dataset name. */
export type DatasetName = typeof DATASET_CHOICES[number];

/** Where SynthPose takes its poses: the MPII-derived bank, the kinematic model, or both. */
export const POSE_SOURCES = ["bank", "kinematic", "mixed"] as const;

/**
 * SynthPose's named difficulty levels. `easy`: one person on a plain background wearing the
 * side colour code, for first runs and the notebooks; `standard`: moderate clutter, some
 * occluders and overlapping people, faces but no side code (flip augmentation stays on), for
 * research comparisons; `hard`: the full clutter, occluders and overlapping people, faces but no side
 * code. data/README.md gives each level's mean-pose baseline and what a reference model reaches.
 */
export const SYNTH_LEVELS = ["easy", "standard", "hard"] as const;

/** A SynthPose level name. */
export type SynthLevel = typeof SYNTH_LEVELS[number];

/** How rotation augmentation draws its angle. */
export const ROTATION_DISTS = ["uniform", "normal"] as const;

/**
 * The target an occluded joint (visibility 1: annotated but hidden) gets: `positive`, a Gaussian
 * of amplitude +1 like a visible joint (Newell et al., Ke et al.), or `negative`, amplitude -1
 * (MSSH §4.1, Eq. 1), so the network also learns to say which joints it cannot see. Missing
 * joints (visibility 0) get an all-zero map either way.
 */
export const OCCLUDED_TARGETS = ["positive", "negative"] as const;

/** An occluded-joint target choice. */
export type OccludedTarget = typeof OCCLUDED_TARGETS[number];

/** What the pipeline does with a sample whose image cannot be loaded. */
export const ON_ERROR_CHOICES = ["skip", "fail"] as const;

/** The knobs a SynthPose level sets (their defaults are the level's, see `SYNTH_LEVEL_KNOBS`). */
const knobShape = {
  poses: z.enum(POSE_SOURCES),
  /** With `poses: "mixed"`, the fraction of people posed by the kinematic model. */
  kinematicFraction: probability(),
  /** Person box (`200 * scale` px) as a fraction of the scene side, `[min, max]`. */
  personScale: z.array(z.number()).refine(
    (s) => s.length === 2 && s[0]! > 0 && s[0]! <= s[1]!,
    { message: "[min, max] with 0 < min <= max" },
  ),
  /** Standard deviation (degrees) of the whole person's in-plane rotation. */
  rotation: num(">= 0", (v) => v >= 0),
  /** Standard deviation (degrees) of each bone's angle around the bank pose. */
  poseJitter: num(">= 0", (v) => v >= 0),
  /** Standard deviation of the per-person limb length and width factors (body proportions). */
  proportions: num("in [0, 0.5)", (v) => v >= 0 && v < 0.5),
  /** Number of background clutter shapes. */
  clutter: int(0),
  /** Number of limb-like background shapes (skin and cloth coloured, tapered). */
  limbClutter: int(0),
  /** Probability of an object occluding one of the target's joints (a second with half that). */
  occluders: probability(),
  /** Probability of another person overlapping the target (each further one with half that). */
  distractors: probability(),
  maxDistractors: int(0),
  /** Pixel noise standard deviation on the 0-255 scale. */
  noise: num(">= 0", (v) => v >= 0),
  /** Strength of the global illumination gradient (0 = flat lighting). */
  lighting: probability(),
  /**
   * Faces on heads that face the camera and hair over heads that face away: the cue real
   * photographs give for MPII's person-centric left and right (see lib/data/synth/body.ts).
   */
  face: z.boolean(),
  /** Probability that a person wears the side colour code (right limbs warm, left limbs cool). */
  sideColors: probability(),
};

const knobSchema = strict(knobShape);

/** The knobs a SynthPose level sets. */
export type SynthKnobs = Infer<typeof knobSchema>;

/**
 * The knobs of each SynthPose level. `hard` is the full difficulty the generator was built
 * with; `standard` is the setting of the kit's standard-level ablation (moderate clutter, faces,
 * no side code); `easy` removes clutter, occluders and other people and always shows the side
 * code, so a small network learns it in minutes.
 */
export const SYNTH_LEVEL_KNOBS: Readonly<Record<SynthLevel, SynthKnobs>> = {
  easy: {
    poses: "mixed",
    kinematicFraction: 0.25,
    personScale: [0.5, 0.7],
    rotation: 10,
    poseJitter: 8,
    proportions: 0.1,
    clutter: 2,
    limbClutter: 0,
    occluders: 0,
    distractors: 0,
    maxDistractors: 2,
    noise: 2,
    lighting: 0.1,
    face: true,
    sideColors: 1,
  },
  standard: {
    poses: "mixed",
    kinematicFraction: 0.25,
    personScale: [0.45, 0.7],
    rotation: 15,
    poseJitter: 8,
    proportions: 0.1,
    clutter: 6,
    limbClutter: 2,
    occluders: 0.3,
    distractors: 0.3,
    maxDistractors: 2,
    noise: 3,
    lighting: 0.3,
    face: true,
    sideColors: 0,
  },
  hard: {
    poses: "mixed",
    kinematicFraction: 0.25,
    personScale: [0.45, 0.7],
    rotation: 20,
    poseJitter: 8,
    proportions: 0.1,
    clutter: 14,
    limbClutter: 5,
    occluders: 0.5,
    distractors: 0.6,
    maxDistractors: 2,
    noise: 6,
    lighting: 0.3,
    face: true,
    sideColors: 0,
  },
};

/**
 * Augmentation a level changes. The side colour code is chiral (right is warm), so a mirrored
 * image of a coded person, whose labels flip augmentation swaps, shows the left limbs in the
 * right side's colours: the easy level turns flipping off. Faces survive mirroring (a frontal
 * face stays frontal), so the other levels keep it.
 */
export const SYNTH_LEVEL_AUGMENT: Readonly<Record<SynthLevel, Partial<AugmentConfig>>> = {
  easy: { flip: false },
  standard: {},
  hard: {},
};

/** The level a data section starts from when it names none. */
export const DEFAULT_SYNTH_LEVEL: SynthLevel = "standard";

/** Augmentation as in Newell et al. and Ke et al.: rotation, scaling, flip, colour jitter. */
const augmentSchema = section({
  enabled: z.boolean().default(true),
  /** Maximum rotation in degrees (uniform in +-rotation; `normal` draws N(0, rotation) clipped to +-2x). */
  rotation: num("in [0, 180]", (v) => v >= 0 && v <= 180).default(30),
  /** Probability that a sample is rotated at all (pose-hg-train: 0.4; the kit keeps 0.6, configs/README.md). */
  rotationProb: probability().default(0.6),
  rotationDist: z.enum(ROTATION_DISTS).default("uniform"),
  /** Zoom range: the crop box is divided by a factor drawn uniformly in [scaleMin, scaleMax]. */
  scaleMin: num("> 0", (v) => v > 0).default(0.75),
  scaleMax: z.number().default(1.25),
  flip: z.boolean().default(true),
  flipProb: probability().default(0.5),
  /** Per-channel gain drawn uniformly in [1 - colorJitter, 1 + colorJitter] (pose-hg-train: 0.2). */
  colorJitter: num("in [0, 1)", (v) => v >= 0 && v < 1).default(0.2),
}).superRefine((a, ctx) => {
  expect(ctx, a.scaleMax >= a.scaleMin, "scaleMax", ">= augment.scaleMin", a.scaleMax);
});

/** Augmentation settings. */
export type AugmentConfig = Infer<typeof augmentSchema>;

/**
 * The `data` section: each key's type, default and range in one place; the SynthPose knobs
 * default to the named level's (`withSynthLevel`), and the checks that span keys follow.
 */
export const dataSchema = z.preprocess(
  withSynthLevel,
  section({
    dataset: z.enum(DATASET_CHOICES).default("synth"),
    /** Dataset folder; "" = `data/mpii`, `data/lsp` or `data/flic` (see data/README.md). */
    root: z.string().default(""),
    /** Image folder; "" = `<root>/images`. */
    imageDir: z.string().default(""),
    /** Annotation files per split; "" = the layout's default under `<root>`. */
    annotations: section({ train: z.string().default(""), val: z.string().default("") }),
    /** Use only the first N samples of a split (0 = all). */
    trainLimit: int(0).default(0),
    valLimit: int(0).default(0),
    /** Crop side in px (the network input). */
    inputSize: int(8).default(256),
    /** Input px per output-map px. */
    outputStride: int(1).default(4),
    /** Gaussian sigma of the targets, in map px. */
    sigma: num("> 0", (v) => v > 0).default(1),
    /** Target pyramid factors relative to the output map (Ke et al.'s GT, GT/2, GT/4, GT/8). */
    pyramidFactors: z.array(z.number()).refine(
      (f) => f.length > 0 && f.every((x) => Number.isInteger(x) && x >= 1),
      { message: "a non-empty list of integers >= 1" },
    ).default(() => [1, 2, 4, 8]),
    /**
     * Sign of an occluded joint's target (visibility 1 = annotated but occluded, including joints
     * keypoint masking covers): "positive" (default) = amplitude +1 like a visible joint;
     * "negative" = MSSH's Eq. 1, amplitude -1 at every pyramid level. Missing joints (visibility
     * 0) stay all-zero maps. With "negative", evaluation decodes signed maps (location and
     * confidence from |h|, a negative peak = predicted occluded).
     */
    occludedTarget: z.enum(OCCLUDED_TARGETS).default("positive"),
    /** Crop box = `200 * scale * cropPadding`; null = the dataset's convention (MPII: 1.25). */
    cropPadding: num("> 0 or null", (v) => v > 0).nullable().default(null),
    /** Crop centre moved `cropShiftY * scale` px down; null = the dataset's convention (MPII: 15). */
    cropShiftY: z.number().nullable().default(null),
    /** Average-pool large images before warping so that downscaled crops do not alias. */
    antialias: z.boolean().default(true),
    /** Web workers that load, render and prepare samples (0 = on the main thread). */
    workers: int(0).default(1),
    /** Batches prepared ahead of the one being trained on. */
    prefetch: int(0).default(2),
    onError: z.enum(ON_ERROR_CHOICES).default("skip"),
    /** SynthPose's size and difficulty knobs. */
    synth: section({
      /**
       * The difficulty level whose knobs this config starts from; knobs given explicitly (in the
       * experiment file or by `--set`) override the level's.
       */
      level: z.enum(SYNTH_LEVELS).default(DEFAULT_SYNTH_LEVEL),
      /** Seed of the whole dataset: sample `i` of a split depends only on (seed, split, i). */
      seed: z.number().default(1),
      trainSize: int(1).default(20000),
      valSize: int(1).default(1000),
      /** Side of the square scenes in px; 0 = auto (4/3 of `inputSize`, so crops are not upsampled). */
      imageSize: num("0 (auto) or >= 16", (v) => v === 0 || (Number.isInteger(v) && v >= 16))
        .default(0),
      ...knobShape,
    }),
    augment: augmentSchema,
    /** Keypoint masking (Ke et al. §III-D, Fig. 5), applied to training crops when enabled. */
    masking: section({
      enabled: z.boolean().default(false),
      /** Probability of pasting a background patch over a joint (simulated occlusion). */
      background: probability().default(0.5),
      /** Probability of pasting a joint's patch onto nearby background (simulated duplicate joint). */
      duplicate: probability().default(0.5),
      /** Patch side as a fraction of the crop side. */
      patchSize: num("in (0, 0.5]", (v) => v > 0 && v <= 0.5).default(0.15),
    }),
  }).superRefine((cfg, ctx) => {
    const unit = cfg.outputStride * Math.max(1, ...cfg.pyramidFactors);
    expect(
      ctx,
      cfg.inputSize % unit === 0,
      "inputSize",
      `a multiple of outputStride x the largest pyramid factor (${unit})`,
      cfg.inputSize,
    );
    const a = cfg.augment;
    expect(
      ctx,
      !(cfg.synth.sideColors > 0 && cfg.dataset === "synth" && a.enabled && a.flip &&
        a.flipProb > 0),
      "augment.flip",
      "false when data.synth.sideColors > 0 (a mirrored image shows the left limbs in the " +
        "right side's colours, so flipping would teach the wrong sides)",
      a.flip,
    );
  }),
);

/** The whole data section. */
export type DataConfig = Infer<typeof dataSchema>;

/** SynthPose's size and difficulty knobs. */
export type SynthConfig = DataConfig["synth"];

/** Keypoint masking settings. */
export type MaskingConfig = DataConfig["masking"];

/** Defaults of the data section (SynthPose at the standard level). */
export const dataDefaults: DataConfig = dataSchema.parse({});

/**
 * Checks a data config built in code (types, choices, ranges, min <= max) and throws a
 * KitError naming the key under `prefix` and the value. Returns the config.
 *
 * @example
 * ```ts
 * validateDataConfig({ ...dataDefaults, inputSize: 250 });
 * // throws KitError: config key "data.inputSize" must be a multiple of outputStride x 8 ...
 * ```
 */
export function validateDataConfig(cfg: DataConfig, prefix = "data"): DataConfig {
  parseConfig(dataSchema, cfg, prefix);
  return cfg;
}

/**
 * Merges an override of the data section onto the defaults (unknown keys and bad choices
 * rejected by name) and checks ranges: the data stage's config on its own, for notebooks and
 * tools that do not build a whole experiment config.
 *
 * @example
 * ```ts
 * const cfg = dataConfig({ inputSize: 128, synth: { trainSize: 2000 } });
 * cfg.synth.valSize; // 1000
 * ```
 */
export function dataConfig(override: unknown = {}): DataConfig {
  return parseConfig(dataSchema, override, "data");
}

/**
 * Side of SynthPose scenes for a config: `synth.imageSize`, or with 0 the multiple of 8 nearest
 * to 4/3 of the crop side (an average person's crop box then has about the crop's resolution).
 *
 * @example
 * ```ts
 * synthImageSize({ ...dataDefaults, inputSize: 128 }); // 168
 * ```
 */
export function synthImageSize(cfg: Pick<DataConfig, "inputSize" | "synth">): number {
  if (cfg.synth.imageSize > 0) return cfg.synth.imageSize;
  return Math.max(16, Math.round((cfg.inputSize * 4) / 3 / 8) * 8);
}

/**
 * Puts the knobs of the SynthPose level a data section names (`synth.level`, by default
 * `standard`), and the augmentation the level changes, under it, so that the section's own keys
 * win over the level's and the level's win over the defaults. A section that is not an object,
 * or names a level that does not exist (the schema then rejects it by name), is returned as it is.
 *
 * @example
 * ```ts
 * const o = withSynthLevel({ synth: { level: "easy", clutter: 5 } });
 * // o.synth: the easy knobs, with clutter 5 and level "easy"; o.augment.flip: false
 * ```
 */
export function withSynthLevel(data: unknown): unknown {
  const section = data ?? {};
  if (!isPlainObject(section)) return data;
  const synth = section.synth ?? {};
  const level = isPlainObject(synth) ? synth.level ?? DEFAULT_SYNTH_LEVEL : undefined;
  if (typeof level !== "string" || !(SYNTH_LEVELS as readonly string[]).includes(level)) {
    return data;
  }
  const under = {
    synth: SYNTH_LEVEL_KNOBS[level as SynthLevel],
    augment: SYNTH_LEVEL_AUGMENT[level as SynthLevel],
  };
  return combineOverrides(under, section);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
