/**
 * The scale-stability sweep behind Ke et al.'s motivating claim (Fig. 1): a slightly perturbed
 * person box makes a baseline hourglass's predictions jump. Each model is run with the person
 * scale multiplied by factors (0.7 .. 1.3) and with the centre shifted; the sweep reports PCKh per
 * condition and how far each joint's prediction moves from the one at the unperturbed box.
 *
 * The result is tidy rows (one object per model x condition, or per model x condition x joint),
 * ready for a vega-lite chart with `model` as colour.
 *
 * @module
 */

import { headSize, pckh, type PckhConvention, type PoseGroundTruth } from "../metrics/mod.ts";
import { MPII_JOINTS, type Part } from "../skeleton/mod.ts";
import type { Keypoint } from "../skeleton/mod.ts";
import { perturb } from "./conditional.ts";
import { estimatePoses } from "./infer.ts";
import type { ImageInput, InferenceOptions, PredictFn } from "./types.ts";

/** A person to evaluate; a data-stage `PoseSample` fits as it is. */
export interface StabilitySample {
  readonly image: ImageInput;
  readonly center: readonly [number, number];
  readonly scale: number;
  /** Ground truth in image pixels, MPII order. */
  readonly keypoints: readonly Keypoint[];
  /** Head box `[x1, y1, x2, y2]`; the head size is 0.6 x its diagonal. */
  readonly headBox?: readonly [number, number, number, number] | null;
  /** The dataset's head size, used when there is no head box. */
  readonly normalize?: number;
}

/** A model under test. */
export interface NamedModel {
  readonly name: string;
  readonly predict: PredictFn;
}

/** One perturbed box: scale factor and centre shift in box sides. */
export interface SweepCondition {
  readonly factor: number;
  readonly shiftX: number;
  readonly shiftY: number;
}

/** Options of {@link scaleStabilitySweep}. */
export interface StabilityOptions extends InferenceOptions {
  /** Scale factors, each with no shift (default 0.7, 0.8, ..., 1.3). */
  readonly factors?: readonly number[];
  /** Centre shifts `[dx, dy]` in box sides, each at factor 1 (default ±0.05 and ±0.1 in x and y). */
  readonly shifts?: readonly (readonly [number, number])[];
  readonly alpha?: number;
  readonly convention?: PckhConvention;
}

/** PCKh of one model under one condition (tidy row). */
export interface StabilityPckhRow extends SweepCondition {
  readonly model: string;
  /** What was perturbed: "scale" rows vary `factor`, "shift" rows the centre. */
  readonly kind: "reference" | "scale" | "shift";
  readonly mean: number | null;
  readonly parts: { readonly [P in Part]: number | null };
}

/** How far one joint's prediction moved from the reference box (tidy row). */
export interface StabilityMovementRow extends SweepCondition {
  readonly model: string;
  readonly kind: "reference" | "scale" | "shift";
  readonly joint: string;
  readonly jointIndex: number;
  /** Mean distance to the prediction at the unperturbed box, in head sizes. */
  readonly movement: number | null;
  /** The same in image pixels. */
  readonly movementPx: number | null;
}

/** The sweep's results, ready to chart. */
export interface StabilityReport {
  readonly conditions: readonly SweepCondition[];
  readonly pckh: readonly StabilityPckhRow[];
  readonly movement: readonly StabilityMovementRow[];
}

/** Default scale factors: 0.7, 0.8, ..., 1.3. */
export const DEFAULT_SWEEP_FACTORS: readonly number[] = [0.7, 0.8, 0.9, 1, 1.1, 1.2, 1.3];

/** Default centre shifts in box sides. */
export const DEFAULT_SWEEP_SHIFTS: readonly (readonly [number, number])[] = [
  [-0.1, 0],
  [-0.05, 0],
  [0.05, 0],
  [0.1, 0],
  [0, -0.1],
  [0, -0.05],
  [0, 0.05],
  [0, 0.1],
];

/**
 * The conditions of a sweep: the reference box first, then each factor without shift, then each
 * shift at factor 1 (duplicates of the reference dropped).
 *
 * @example
 * ```ts
 * sweepConditions([0.9, 1, 1.1], [[0.1, 0]]).length; // 4
 * ```
 */
export function sweepConditions(
  factors: readonly number[],
  shifts: readonly (readonly [number, number])[],
): SweepCondition[] {
  const out: SweepCondition[] = [{ factor: 1, shiftX: 0, shiftY: 0 }];
  for (const factor of factors) {
    if (!(factor > 0)) throw new Error(`scale factor must be > 0, got ${factor}`);
    if (factor !== 1) out.push({ factor, shiftX: 0, shiftY: 0 });
  }
  for (const [shiftX, shiftY] of shifts) {
    if (shiftX !== 0 || shiftY !== 0) out.push({ factor: 1, shiftX, shiftY });
  }
  return out;
}

function kindOf(c: SweepCondition): "reference" | "scale" | "shift" {
  if (c.shiftX !== 0 || c.shiftY !== 0) return "shift";
  return c.factor === 1 ? "reference" : "scale";
}

function groundTruthOf(samples: readonly StabilitySample[]): {
  gt: PoseGroundTruth;
  heads: Float64Array;
} {
  const nj = MPII_JOINTS.length;
  const coords = new Float64Array(samples.length * nj * 2);
  const visibility = new Uint8Array(samples.length * nj);
  const heads = new Float64Array(samples.length);
  samples.forEach((s, i) => {
    if (s.keypoints.length !== nj) {
      throw new Error(`sample ${i} has ${s.keypoints.length} keypoints, expected ${nj}`);
    }
    s.keypoints.forEach(([x, y, v], j) => {
      coords[(i * nj + j) * 2] = x;
      coords[(i * nj + j) * 2 + 1] = y;
      visibility[i * nj + j] = v;
    });
    heads[i] = s.headBox ? headSize(s.headBox) : s.normalize ?? NaN;
  });
  return { gt: { count: samples.length, numJoints: nj, coords, visibility }, heads };
}

/**
 * Runs every model on every sample under every condition; see the module notes. People without
 * a head size (no head box, no `normalize`) are left out of PCKh and of the movement in head
 * sizes.
 *
 * @example
 * ```ts
 * const report = await scaleStabilitySweep(
 *   [{ name: "hourglass", predict: hg }, { name: "MSS-net", predict: mss }],
 *   samples,
 *   { flip: false, onProgress: (n) => progress.tick(n) },
 * );
 * report.pckh; // [{ model: "hourglass", factor: 0.7, mean: 71.2, ... }, ...]
 * ```
 */
export async function scaleStabilitySweep(
  models: readonly NamedModel[],
  samples: readonly StabilitySample[],
  options: StabilityOptions = {},
): Promise<StabilityReport> {
  if (models.length === 0) throw new Error("scaleStabilitySweep: no models");
  const conditions = sweepConditions(
    options.factors ?? DEFAULT_SWEEP_FACTORS,
    options.shifts ?? DEFAULT_SWEEP_SHIFTS,
  );
  const { gt, heads } = groundTruthOf(samples);
  const nj = gt.numJoints;
  const pckhRows: StabilityPckhRow[] = [];
  const movement: StabilityMovementRow[] = [];
  for (const model of models) {
    let reference: Float64Array | undefined;
    for (const c of conditions) {
      const requests = samples.map((s) =>
        perturb(s, { dx: c.shiftX, dy: c.shiftY, scale: c.factor })
      );
      const est = await estimatePoses(model.predict, requests, options);
      reference ??= est.coords;
      const r = pckh(gt, est.coords, heads, {
        alpha: options.alpha,
        convention: options.convention,
        zeroHeadSize: "exclude",
      });
      const kind = kindOf(c);
      pckhRows.push({ model: model.name, kind, ...c, mean: r.mean, parts: r.parts });
      for (let j = 0; j < nj; j++) {
        let px = 0, norm = 0, n = 0, nNorm = 0;
        for (let i = 0; i < samples.length; i++) {
          const k = (i * nj + j) * 2;
          const d = Math.hypot(
            est.coords[k]! - reference[k]!,
            est.coords[k + 1]! - reference[k + 1]!,
          );
          if (!Number.isFinite(d)) continue;
          px += d;
          n++;
          if (heads[i]! > 0) {
            norm += d / heads[i]!;
            nNorm++;
          }
        }
        movement.push({
          model: model.name,
          kind,
          ...c,
          joint: MPII_JOINTS[j] ?? `joint ${j}`,
          jointIndex: j,
          movement: nNorm > 0 ? norm / nNorm : null,
          movementPx: n > 0 ? px / n : null,
        });
      }
    }
  }
  return { conditions, pckh: pckhRows, movement };
}
