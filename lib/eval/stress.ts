/**
 * Stress splits: SynthPose validation sets that each isolate one paper's claim, derived from an
 * experiment's own data config by overriding existing `data.*` knobs (no new config keys), with
 * the validation seed fixed, so every run of an ablation is scored on the same people.
 *
 * - `scale-small` / `scale-large` (Ke et al. Fig. 1, MSS-net): the person smaller or larger in
 *   the crop than anything training showed. SynthPose crops follow the person's box, so the
 *   scene's `personScale` alone does not change what the network sees; training varies the zoom
 *   through `augment.scaleMin`/`scaleMax` (the crop box divided by a factor in that range). The
 *   splits set the zoom `STRESS_SCALE_BEYOND` times beyond that range through `cropPadding`; the
 *   small split also shrinks `personScale` by the same factor, so the wider crop stays inside the
 *   scene instead of showing black borders no training crop had.
 * - `occluded` (keypoint masking): an object over one or two of the target's joints in every
 *   scene and no other people; the report scores the joints SynthPose marks occluded
 *   (visibility 1) on their own.
 * - `overlap` (structure-aware loss, MSR-net): one or two other people overlapping the target in
 *   every scene and no occluding objects.
 *
 * The fourth test of the ablation, the scale-stability sweep, perturbs the box of the plain
 * validation people (lib/eval/stability.ts); lib/eval/stress_run.ts runs all of them.
 *
 * @module
 */

import { type DataConfig, validateDataConfig } from "../data/config.ts";
import { cropConvention } from "../data/prepare.ts";
import { MPII_CROP } from "../data/types.ts";
import { KitError } from "../io/errors.ts";

/** The ids of the stress splits, in report order. */
export const STRESS_SPLIT_IDS = ["scale-small", "scale-large", "occluded", "overlap"] as const;

/** A stress split's id. */
export type StressSplitId = typeof STRESS_SPLIT_IDS[number];

/** Which number of a split's evaluation the report uses. */
export type StressScore = "mean" | "occluded";

/** One stress split: what it changes, whose claim it tests, and its data config. */
export interface StressSplit {
  readonly id: StressSplitId;
  readonly label: string;
  /** The claim the split isolates, for tables and charts. */
  readonly claim: string;
  /** `mean`: PCKh Mean over all joints; `occluded`: pooled PCKh of the occluded joints. */
  readonly score: StressScore;
  /** The validation split's data config (use its `"val"` split). */
  readonly data: DataConfig;
}

/**
 * How far beyond the training zoom range the scale splits go: the smallest training zoom divided
 * by it, the largest multiplied by it (with the default augmentation 0.75-1.25: 0.625 and 1.5).
 */
export const STRESS_SCALE_BEYOND = 1.2;

/** Probability knob of the occluded split: every scene has one occluder (a second with half). */
export const STRESS_OCCLUDERS = 1;

/** Probability knob of the overlap split: every scene has another person (a second with half). */
export const STRESS_DISTRACTORS = 1;

/** At most this many other people in an overlap scene. */
export const STRESS_MAX_DISTRACTORS = 2;

/**
 * The zoom range training crops cover: the person's size in the crop relative to the
 * unaugmented crop, `[scaleMin, scaleMax]` with augmentation on, `[1, 1]` without.
 *
 * @example
 * ```ts
 * trainingZoomRange(dataDefaults); // [0.75, 1.25]
 * ```
 */
export function trainingZoomRange(data: DataConfig): [number, number] {
  const a = data.augment;
  return a.enabled ? [a.scaleMin, a.scaleMax] : [1, 1];
}

/**
 * The stress splits of an experiment's data config (SynthPose only): same people count, crop
 * size, targets and validation seed; see the module notes for what each changes. `valLimit`
 * (0 = the config's) scores only the first people of each split.
 *
 * @example
 * ```ts
 * const splits = stressSplits(cfg.data);
 * splits.map((s) => s.id); // ["scale-small", "scale-large", "occluded", "overlap"]
 * splits[0].data.cropPadding; // 2 with MPII's 1.25 padding and augment.scaleMin 0.75
 * ```
 */
export function stressSplits(
  data: DataConfig,
  options: { readonly valLimit?: number } = {},
): StressSplit[] {
  if (data.dataset !== "synth") {
    throw new KitError(
      `stress splits are SynthPose validation sets; this experiment's data.dataset is ` +
        `"${data.dataset}"`,
    );
  }
  const valLimit = options.valLimit && options.valLimit > 0 ? options.valLimit : data.valLimit;
  const plain: DataConfig = { ...data, valLimit };
  const padding = cropConvention(plain, MPII_CROP).padding;
  const [zoomLo, zoomHi] = trainingZoomRange(plain);
  const small = zoomLo / STRESS_SCALE_BEYOND;
  const large = zoomHi * STRESS_SCALE_BEYOND;
  const s = plain.synth;
  const split = (
    id: StressSplitId,
    label: string,
    claim: string,
    score: StressScore,
    changes: Partial<DataConfig>,
  ): StressSplit => ({
    id,
    label,
    claim,
    score,
    data: validateDataConfig({ ...plain, ...changes }),
  });
  return [
    split(
      "scale-small",
      `person ${fmtZoom(small)}x (smaller than training's ${fmtZoom(zoomLo)}x)`,
      "scale variation (Ke et al. Fig. 1, MSS-net)",
      "mean",
      {
        cropPadding: padding / small,
        synth: { ...s, personScale: s.personScale.map((v) => v * small) },
      },
    ),
    split(
      "scale-large",
      `person ${fmtZoom(large)}x (larger than training's ${fmtZoom(zoomHi)}x)`,
      "scale variation (Ke et al. Fig. 1, MSS-net)",
      "mean",
      { cropPadding: padding / large },
    ),
    split(
      "occluded",
      "occluded joints (objects over joints, no other people)",
      "occluded joints (keypoint masking)",
      "occluded",
      { synth: { ...s, occluders: STRESS_OCCLUDERS, distractors: 0 } },
    ),
    split(
      "overlap",
      "overlapping people (no occluding objects)",
      "overlapping people (structure-aware loss, MSR-net)",
      "mean",
      {
        synth: {
          ...s,
          occluders: 0,
          distractors: STRESS_DISTRACTORS,
          maxDistractors: Math.max(s.maxDistractors, STRESS_MAX_DISTRACTORS),
        },
      },
    ),
  ];
}

function fmtZoom(z: number): string {
  return String(Number(z.toFixed(3)));
}

/** One number the ablation report tabulates per run. */
export interface ReportColumn {
  /** `val`, a stress split id, `stability` or `stability-movement`. */
  readonly id: string;
  readonly label: string;
  /** The claim it tests. */
  readonly claim: string;
  /** Whether a higher value is better (PCKh) or worse (movement). */
  readonly higherIsBetter: boolean;
  readonly unit: string;
}

/**
 * The report's columns in order: the plain validation people, the four stress splits, and the
 * two numbers of the scale-stability sweep (PCKh averaged over the perturbed boxes, and how far
 * the joints move from their prediction at the unperturbed box).
 */
export const REPORT_COLUMNS: readonly ReportColumn[] = [
  {
    id: "val",
    label: "validation",
    claim: "the validation people",
    higherIsBetter: true,
    unit: "PCKh Mean",
  },
  {
    id: "scale-small",
    label: "smaller person",
    claim: "scale variation (Ke et al. Fig. 1, MSS-net)",
    higherIsBetter: true,
    unit: "PCKh Mean",
  },
  {
    id: "scale-large",
    label: "larger person",
    claim: "scale variation (Ke et al. Fig. 1, MSS-net)",
    higherIsBetter: true,
    unit: "PCKh Mean",
  },
  {
    id: "occluded",
    label: "occluded joints",
    claim: "occluded joints (keypoint masking)",
    higherIsBetter: true,
    unit: "PCKh of occluded joints",
  },
  {
    id: "overlap",
    label: "overlapping people",
    claim: "overlapping people (structure-aware loss, MSR-net)",
    higherIsBetter: true,
    unit: "PCKh Mean",
  },
  {
    id: "stability",
    label: "perturbed box",
    claim: "scale-stability sweep (Ke et al. Fig. 1)",
    higherIsBetter: true,
    unit: "PCKh Mean over perturbed boxes",
  },
  {
    id: "stability-movement",
    label: "joint movement",
    claim: "scale-stability sweep (Ke et al. Fig. 1)",
    higherIsBetter: false,
    unit: "head sizes",
  },
];
