/**
 * The data config: which dataset, where it lives, crop and target sizes, SynthPose's difficulty
 * knobs, augmentation and keypoint masking. Plain JSON; the experiment config holds it under the
 * key `data`, so dotted paths in messages and choices start with `data.`.
 *
 * @module
 */

import { type Choices, combineOverrides, mergeConfig } from "../config/config.ts";
import { KitError } from "../io/errors.ts";

/** Datasets the kit reads. */
export const DATASET_CHOICES = ["synth", "mpii_h5", "mpii_json", "lsp", "flic"] as const;

/** A dataset name. */
export type DatasetName = typeof DATASET_CHOICES[number];

/** Where SynthPose takes its poses: the MPII-derived bank, the kinematic model, or both. */
export const POSE_SOURCES = ["bank", "kinematic", "mixed"] as const;

/**
 * SynthPose's named difficulty levels. `easy`: one person on a plain background wearing the
 * side colour code, for first runs and the notebooks; `standard`: moderate clutter, some
 * occluders and overlapping people, faces and the side code on half the people, for research
 * comparisons; `hard`: the full clutter, occluders and overlapping people, faces but no side
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

/** SynthPose's size and difficulty knobs. */
export type SynthConfig = SynthKnobs & {
  /**
   * The difficulty level whose knobs this config starts from; knobs given explicitly (in the
   * experiment file or by `--set`) override the level's.
   */
  readonly level: SynthLevel;
  /** Seed of the whole dataset: sample `i` of a split depends only on (seed, split, i). */
  readonly seed: number;
  readonly trainSize: number;
  readonly valSize: number;
  /** Side of the square scenes in px; 0 = auto (4/3 of `inputSize`, so crops are not upsampled). */
  readonly imageSize: number;
};

/** The knobs a SynthPose level sets. */
export type SynthKnobs = {
  readonly poses: typeof POSE_SOURCES[number];
  /** With `poses: "mixed"`, the fraction of people posed by the kinematic model. */
  readonly kinematicFraction: number;
  /** Person box (`200 * scale` px) as a fraction of the scene side, `[min, max]`. */
  readonly personScale: readonly number[];
  /** Standard deviation (degrees) of the whole person's in-plane rotation. */
  readonly rotation: number;
  /** Standard deviation (degrees) of each bone's angle around the bank pose. */
  readonly poseJitter: number;
  /** Standard deviation of the per-person limb length and width factors (body proportions). */
  readonly proportions: number;
  /** Number of background clutter shapes. */
  readonly clutter: number;
  /** Number of limb-like background shapes (skin and cloth coloured, tapered). */
  readonly limbClutter: number;
  /** Probability of an object occluding one of the target's joints (a second with half that). */
  readonly occluders: number;
  /** Probability of another person overlapping the target (each further one with half that). */
  readonly distractors: number;
  readonly maxDistractors: number;
  /** Pixel noise standard deviation on the 0-255 scale. */
  readonly noise: number;
  /** Strength of the global illumination gradient (0 = flat lighting). */
  readonly lighting: number;
  /**
   * Faces on heads that face the camera and hair over heads that face away: the cue real
   * photographs give for MPII's person-centric left and right (see lib/data/synth/body.ts).
   */
  readonly face: boolean;
  /** Probability that a person wears the side colour code (right limbs warm, left limbs cool). */
  readonly sideColors: number;
};

/**
 * The knobs of each SynthPose level. `hard` is the full difficulty the generator was built
 * with; `standard` is the setting of the kit's recorded ablation (with faces and the side code on
 * half the people); `easy` removes clutter, occluders and other people and always shows the side
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
export type AugmentConfig = {
  readonly enabled: boolean;
  /** Maximum rotation in degrees (uniform in +-rotation; `normal` draws N(0, rotation) clipped to +-2x). */
  readonly rotation: number;
  /** Probability that a sample is rotated at all (pose-hg-train: 0.4; the kit keeps 0.6, configs/README.md). */
  readonly rotationProb: number;
  readonly rotationDist: typeof ROTATION_DISTS[number];
  /** Zoom range: the crop box is divided by a factor drawn uniformly in [scaleMin, scaleMax]. */
  readonly scaleMin: number;
  readonly scaleMax: number;
  readonly flip: boolean;
  readonly flipProb: number;
  /** Per-channel gain drawn uniformly in [1 - colorJitter, 1 + colorJitter] (pose-hg-train: 0.2). */
  readonly colorJitter: number;
};

/** Keypoint masking (Ke et al. §III-D, Fig. 5), applied to training crops when enabled. */
export type MaskingConfig = {
  readonly enabled: boolean;
  /** Probability of pasting a background patch over a joint (simulated occlusion). */
  readonly background: number;
  /** Probability of pasting a joint's patch onto nearby background (simulated duplicate joint). */
  readonly duplicate: number;
  /** Patch side as a fraction of the crop side. */
  readonly patchSize: number;
};

/** The whole data section. */
export type DataConfig = {
  readonly dataset: DatasetName;
  /** Dataset folder; "" = `data/mpii`, `data/lsp` or `data/flic` (see data/README.md). */
  readonly root: string;
  /** Image folder; "" = `<root>/images`. */
  readonly imageDir: string;
  /** Annotation files per split; "" = the layout's default under `<root>`. */
  readonly annotations: { readonly train: string; readonly val: string };
  /** Use only the first N samples of a split (0 = all). */
  readonly trainLimit: number;
  readonly valLimit: number;
  /** Crop side in px (the network input). */
  readonly inputSize: number;
  /** Input px per output-map px. */
  readonly outputStride: number;
  /** Gaussian sigma of the targets, in map px. */
  readonly sigma: number;
  /** Target pyramid factors relative to the output map (Ke et al.'s GT, GT/2, GT/4, GT/8). */
  readonly pyramidFactors: readonly number[];
  /**
   * Sign of an occluded joint's target (visibility 1 = annotated but occluded, including joints
   * keypoint masking covers): "positive" (default) = amplitude +1 like a visible joint;
   * "negative" = MSSH's Eq. 1, amplitude -1 at every pyramid level. Missing joints (visibility
   * 0) stay all-zero maps. With "negative", evaluation decodes signed maps (location and
   * confidence from |h|, a negative peak = predicted occluded).
   */
  readonly occludedTarget: OccludedTarget;
  /** Crop box = `200 * scale * cropPadding`; null = the dataset's convention (MPII: 1.25). */
  readonly cropPadding: number | null;
  /** Crop centre moved `cropShiftY * scale` px down; null = the dataset's convention (MPII: 15). */
  readonly cropShiftY: number | null;
  /** Average-pool large images before warping so that downscaled crops do not alias. */
  readonly antialias: boolean;
  /** Web workers that load, render and prepare samples (0 = on the main thread). */
  readonly workers: number;
  /** Batches prepared ahead of the one being trained on. */
  readonly prefetch: number;
  readonly onError: typeof ON_ERROR_CHOICES[number];
  readonly synth: SynthConfig;
  readonly augment: AugmentConfig;
  readonly masking: MaskingConfig;
};

/** Defaults of the data section. */
export const dataDefaults: DataConfig = {
  dataset: "synth",
  root: "",
  imageDir: "",
  annotations: { train: "", val: "" },
  trainLimit: 0,
  valLimit: 0,
  inputSize: 256,
  outputStride: 4,
  sigma: 1,
  pyramidFactors: [1, 2, 4, 8],
  occludedTarget: "positive",
  cropPadding: null,
  cropShiftY: null,
  antialias: true,
  workers: 1,
  prefetch: 2,
  onError: "skip",
  synth: {
    level: DEFAULT_SYNTH_LEVEL,
    seed: 1,
    trainSize: 20000,
    valSize: 1000,
    imageSize: 0,
    ...SYNTH_LEVEL_KNOBS[DEFAULT_SYNTH_LEVEL],
  },
  augment: {
    enabled: true,
    rotation: 30,
    rotationProb: 0.6,
    rotationDist: "uniform",
    scaleMin: 0.75,
    scaleMax: 1.25,
    flip: true,
    flipProb: 0.5,
    colorJitter: 0.2,
  },
  masking: {
    enabled: false,
    background: 0.5,
    duplicate: 0.5,
    patchSize: 0.15,
  },
};

/** Closed choices of the data section, by dotted path under `data`. */
export const dataChoices: Choices = {
  "data.dataset": DATASET_CHOICES,
  "data.onError": ON_ERROR_CHOICES,
  "data.occludedTarget": OCCLUDED_TARGETS,
  "data.synth.level": SYNTH_LEVELS,
  "data.synth.poses": POSE_SOURCES,
  "data.augment.rotationDist": ROTATION_DISTS,
};

type Check = [path: string, ok: boolean, want: string, value: unknown];

/**
 * Checks ranges that types cannot express (sizes, probabilities, min <= max) and throws a
 * KitError naming the key under `prefix` and the value. Returns the config.
 *
 * @example
 * ```ts
 * validateDataConfig({ ...dataDefaults, inputSize: 250 });
 * // throws KitError: config key "data.inputSize" must be a multiple of outputStride x 8 ...
 * ```
 */
export function validateDataConfig(cfg: DataConfig, prefix = "data"): DataConfig {
  const isInt = (v: number, min: number) => Number.isInteger(v) && v >= min;
  const isProb = (v: number) => v >= 0 && v <= 1;
  const maxFactor = Math.max(1, ...cfg.pyramidFactors);
  const s = cfg.synth, a = cfg.augment, m = cfg.masking;
  const checks: Check[] = [
    ["trainLimit", isInt(cfg.trainLimit, 0), "an integer >= 0", cfg.trainLimit],
    ["valLimit", isInt(cfg.valLimit, 0), "an integer >= 0", cfg.valLimit],
    ["outputStride", isInt(cfg.outputStride, 1), "an integer >= 1", cfg.outputStride],
    ["inputSize", isInt(cfg.inputSize, 8), "an integer >= 8", cfg.inputSize],
    [
      "inputSize",
      cfg.inputSize % (cfg.outputStride * maxFactor) === 0,
      `a multiple of outputStride x the largest pyramid factor (${cfg.outputStride * maxFactor})`,
      cfg.inputSize,
    ],
    ["sigma", cfg.sigma > 0, "> 0", cfg.sigma],
    [
      "pyramidFactors",
      cfg.pyramidFactors.length > 0 && cfg.pyramidFactors.every((f) => isInt(f, 1)),
      "a non-empty list of integers >= 1",
      cfg.pyramidFactors,
    ],
    // mergeConfig checks choices, but configs built in code reach the pipeline without it.
    [
      "occludedTarget",
      (OCCLUDED_TARGETS as readonly string[]).includes(cfg.occludedTarget),
      `one of ${OCCLUDED_TARGETS.join(", ")}`,
      cfg.occludedTarget,
    ],
    [
      "cropPadding",
      cfg.cropPadding === null || cfg.cropPadding > 0,
      "> 0 or null",
      cfg.cropPadding,
    ],
    [
      "cropShiftY",
      cfg.cropShiftY === null || typeof cfg.cropShiftY === "number",
      "a number or null",
      cfg.cropShiftY,
    ],
    ["workers", isInt(cfg.workers, 0), "an integer >= 0", cfg.workers],
    ["prefetch", isInt(cfg.prefetch, 0), "an integer >= 0", cfg.prefetch],
    ["synth.trainSize", isInt(s.trainSize, 1), "an integer >= 1", s.trainSize],
    ["synth.valSize", isInt(s.valSize, 1), "an integer >= 1", s.valSize],
    [
      "synth.imageSize",
      s.imageSize === 0 || isInt(s.imageSize, 16),
      "0 (auto) or >= 16",
      s.imageSize,
    ],
    ["synth.kinematicFraction", isProb(s.kinematicFraction), "in [0, 1]", s.kinematicFraction],
    [
      "synth.personScale",
      s.personScale.length === 2 && s.personScale[0]! > 0 && s.personScale[0]! <= s.personScale[1]!,
      "[min, max] with 0 < min <= max",
      s.personScale,
    ],
    ["synth.rotation", s.rotation >= 0, ">= 0", s.rotation],
    ["synth.poseJitter", s.poseJitter >= 0, ">= 0", s.poseJitter],
    ["synth.proportions", s.proportions >= 0 && s.proportions < 0.5, "in [0, 0.5)", s.proportions],
    ["synth.clutter", isInt(s.clutter, 0), "an integer >= 0", s.clutter],
    ["synth.limbClutter", isInt(s.limbClutter, 0), "an integer >= 0", s.limbClutter],
    ["synth.occluders", isProb(s.occluders), "in [0, 1]", s.occluders],
    ["synth.distractors", isProb(s.distractors), "in [0, 1]", s.distractors],
    ["synth.maxDistractors", isInt(s.maxDistractors, 0), "an integer >= 0", s.maxDistractors],
    ["synth.noise", s.noise >= 0, ">= 0", s.noise],
    ["synth.lighting", s.lighting >= 0 && s.lighting <= 1, "in [0, 1]", s.lighting],
    ["synth.sideColors", isProb(s.sideColors), "in [0, 1]", s.sideColors],
    [
      "augment.flip",
      !(s.sideColors > 0 && cfg.dataset === "synth" && a.enabled && a.flip && a.flipProb > 0),
      "false when data.synth.sideColors > 0 (a mirrored image shows the left limbs in the " +
      "right side's colours, so flipping would teach the wrong sides)",
      a.flip,
    ],
    ["augment.rotation", a.rotation >= 0 && a.rotation <= 180, "in [0, 180]", a.rotation],
    ["augment.rotationProb", isProb(a.rotationProb), "in [0, 1]", a.rotationProb],
    ["augment.scaleMin", a.scaleMin > 0, "> 0", a.scaleMin],
    ["augment.scaleMax", a.scaleMax >= a.scaleMin, ">= augment.scaleMin", a.scaleMax],
    ["augment.flipProb", isProb(a.flipProb), "in [0, 1]", a.flipProb],
    ["augment.colorJitter", a.colorJitter >= 0 && a.colorJitter < 1, "in [0, 1)", a.colorJitter],
    ["masking.background", isProb(m.background), "in [0, 1]", m.background],
    ["masking.duplicate", isProb(m.duplicate), "in [0, 1]", m.duplicate],
    ["masking.patchSize", m.patchSize > 0 && m.patchSize <= 0.5, "in (0, 0.5]", m.patchSize],
  ];
  for (const [path, ok, want, value] of checks) {
    if (!ok) {
      throw new KitError(
        `config key "${prefix}.${path}" must be ${want}; got ${JSON.stringify(value)}`,
      );
    }
  }
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
  const merged = mergeConfig(
    { data: dataDefaults },
    withSynthLevel({ data: override }),
    { choices: dataChoices },
  );
  return validateDataConfig(merged.data);
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
 * Puts the knobs of the SynthPose level an override names (`data.synth.level`), and the
 * augmentation the level changes, under it, so that the override's own keys win over the
 * level's and the level's win over the defaults. An
 * override that names no level, or one that is not a level name (the merge then rejects it by
 * name), is returned as it is.
 *
 * @example
 * ```ts
 * const o = withSynthLevel({ data: { synth: { level: "easy", clutter: 5 } } });
 * // o.data.synth: the easy knobs, with clutter 5 and level "easy"
 * ```
 */
export function withSynthLevel(override: unknown): unknown {
  const synth = isPlainObject(override) && isPlainObject(override.data) &&
      isPlainObject(override.data.synth)
    ? override.data.synth
    : undefined;
  const level = synth?.level;
  if (typeof level !== "string" || !(SYNTH_LEVELS as readonly string[]).includes(level)) {
    return override;
  }
  const under = {
    synth: SYNTH_LEVEL_KNOBS[level as SynthLevel],
    augment: SYNTH_LEVEL_AUGMENT[level as SynthLevel],
  };
  return combineOverrides({ data: under }, override);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
