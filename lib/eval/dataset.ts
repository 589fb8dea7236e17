/**
 * Evaluating a network on a dataset split through the data pipeline: crops as the pipeline makes
 * them (no augmentation), heatmaps decoded with the quarter-pixel rule, mapped back to image
 * pixels, and scored with PCKh (MPII, SynthPose) or torso PCK (LSP, FLIC). Used by validation
 * during training, `deno task eval` and the notebooks.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Pipeline } from "../data/pipeline.ts";
import { disposeBatch } from "../data/assemble.ts";
import { decodeHeatmapsTensor, mapToImage } from "../heatmap/decode.ts";
import type { PoseGroundTruth } from "../metrics/errors.ts";
import { pck } from "../metrics/pck.ts";
import { pckh } from "../metrics/pckh.ts";
import type { PckResult } from "../metrics/summary.ts";
import type { JointPair } from "../skeleton/mpii.ts";
import { predictWithFlip } from "./flip.ts";
import type { PredictFn } from "./types.ts";

/** Which score a split gets: PCKh (head-normalised) or PCK (torso-normalised). */
export type SplitMetric =
  | { readonly kind: "pckh"; readonly alpha: number }
  | { readonly kind: "pck"; readonly alpha: number; readonly torso: JointPair };

/** Everything an evaluation produced, per person in dataset order. */
export interface SplitEvaluation {
  readonly result: PckResult;
  readonly ids: readonly string[];
  readonly indices: readonly number[];
  /** `[N, J, 2]` predictions in image pixels. */
  readonly preds: Float64Array;
  /** `[N, J]` heatmap maxima (of `|h|` with signed decoding). */
  readonly confidence: Float64Array;
  /** `[N, J]`, signed decoding only: 1 where the model predicts the joint occluded. */
  readonly occluded?: Uint8Array;
  readonly gt: PoseGroundTruth;
  /** `[N]` the normaliser used (head or torso size; NaN where missing). */
  readonly norms: Float64Array;
  /** Seconds the evaluation took. */
  readonly seconds: number;
}

/**
 * Runs `predict` over one pass of an evaluation-mode pipeline and scores it. Padding samples of
 * the last batch are dropped; people without a usable head size are left out of PCKh and
 * counted in `result.excludedPeople`. `signed` decodes maps trained with MSSH's signed targets
 * (the experiment's `data.occludedTarget` is "negative"): see `DecodeOptions.signed`.
 *
 * @example
 * ```ts
 * const val = await openPipeline(cfg.data, "val", { mode: "eval", batchSize: 8 });
 * const ev = await evaluateSplit((x) => Promise.resolve(predictHeatmaps(net, x)), val, {
 *   stride: 4, metric: { kind: "pckh", alpha: 0.5 },
 * });
 * ev.result.mean; // PCKh@0.5 Mean
 * ```
 */
export async function evaluateSplit(
  predict: PredictFn,
  pipeline: Pipeline,
  options: {
    stride: number;
    metric: SplitMetric;
    flip?: boolean;
    flipIndex?: readonly number[];
    /** Decode signed heatmaps (MSSH's negative targets for occluded joints; default false). */
    signed?: boolean;
    /** Stop after this many batches (0 = the whole split). */
    maxBatches?: number;
    onBatch?: (samples: number) => void;
  },
): Promise<SplitEvaluation> {
  const start = performance.now();
  const ids: string[] = [], indices: number[] = [];
  const preds: number[] = [], confidence: number[] = [], gtCoords: number[] = [];
  const visibility: number[] = [], norms: number[] = [], occluded: number[] = [];
  let numJoints = 0;
  let batches = 0;
  for await (const batch of pipeline.epoch(0)) {
    try {
      const heatmaps = options.flip
        ? await predictWithFlip(predict, batch.images, { flipIndex: options.flipIndex })
        : await predict(batch.images);
      let decoded;
      try {
        decoded = await decodeHeatmapsTensor(heatmaps, { signed: options.signed });
      } finally {
        heatmaps.dispose();
      }
      const inImage = mapToImage(decoded, options.stride, batch.meta.map((m) => m.transform));
      numJoints = inImage.numJoints;
      batch.meta.forEach((m, i) => {
        if (m.padded) return;
        ids.push(m.id);
        indices.push(m.index);
        for (let j = 0; j < numJoints; j++) {
          const k = i * numJoints + j;
          preds.push(inImage.coords[2 * k]!, inImage.coords[2 * k + 1]!);
          confidence.push(inImage.confidence[k]!);
          if (inImage.occluded) occluded.push(inImage.occluded[k]!);
          const kp = m.imageKeypoints[j]!;
          gtCoords.push(kp[0], kp[1]);
          visibility.push(kp[2]);
        }
        norms.push(m.headSize ?? NaN);
      });
      options.onBatch?.(batch.size);
    } finally {
      disposeBatch(batch);
    }
    if (options.maxBatches && ++batches >= options.maxBatches) break;
  }
  const gt: PoseGroundTruth = { count: ids.length, numJoints, coords: gtCoords, visibility };
  const m = options.metric;
  const result = m.kind === "pckh"
    ? pckh(gt, preds, norms, { alpha: m.alpha, zeroHeadSize: "exclude" })
    : pck(gt, preds, { alpha: m.alpha, torso: m.torso, zeroTorso: "exclude" });
  return {
    result,
    ids,
    indices,
    preds: Float64Array.from(preds),
    confidence: Float64Array.from(confidence),
    ...(options.signed ? { occluded: Uint8Array.from(occluded) } : {}),
    gt,
    norms: Float64Array.from(norms),
    seconds: (performance.now() - start) / 1000,
  };
}

/**
 * A predict function that keeps nothing alive but its output: wraps a synchronous forward
 * pass in `tf.tidy`.
 *
 * @example
 * ```ts
 * const predict = tidyPredict((x) => predictHeatmaps(net, x));
 * ```
 */
export function tidyPredict(forward: (x: tf.Tensor4D) => tf.Tensor4D): PredictFn {
  return (x) => Promise.resolve(tf.tidy(() => forward(x)));
}
