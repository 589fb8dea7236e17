/**
 * The demo's prediction, shared by the browser page and its test: a kit checkpoint loaded with
 * `tf.loadLayersModel`, the person crop of a box (or of the whole image, as `deno task
 * predict` does by default) and the kit's own inference and decoding (`estimatePoses`).
 * Nothing here touches Deno, so it bundles for the browser.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { MPII_CROP, PLAIN_CROP, type RgbImage } from "../data/types.ts";
import { estimatePoses } from "../eval/infer.ts";
import type { CropConvention } from "../data/types.ts";
import { MPII_JOINTS } from "../skeleton/mpii.ts";

/** What the page needs to know about a checkpoint besides its model.json (served as meta.json). */
export interface DemoMeta {
  /** The checkpoint directory, for display. */
  readonly checkpoint: string;
  readonly step: number;
  readonly kind: string;
  /** Crop side S in pixels: the model's input is `[1, S, S, 3]` in [0, 1]. */
  readonly inputSize: number;
  /** Crop pixels per heatmap pixel. */
  readonly stride: number;
  /** Average with the mirrored crop's heatmaps (the run's `eval.flip`). */
  readonly flip: boolean;
  /** MSSH negative targets: decode `|h|` and mark negative peaks occluded. */
  readonly signed: boolean;
  /** Which of the model's outputs are the heatmaps to predict with. */
  readonly outputIndex: number;
  /** Joints below this confidence are drawn as rings (predict's default). */
  readonly minConfidence: number;
}

/** A box `[x1, y1, x2, y2]` in image pixels. */
export type DemoBox = readonly [number, number, number, number];

/** The crop a box stands for: MPII center and scale, and the crop convention. */
export interface DemoCrop {
  readonly center: [number, number];
  readonly scale: number;
  readonly crop: CropConvention;
}

/**
 * The crop of the whole image (no box), exactly `deno task predict`'s default: the image's
 * centre, scale = longer side / 200, no padding. A box is a person's extent in the MPII
 * convention, as `predict --center x,y --scale s` takes it: its centre, scale = its longer
 * side / 200, and MPII's padding and shift.
 *
 * @example
 * ```ts
 * demoCrop(640, 480); // { center: [319.5, 239.5], scale: 3.2, crop: PLAIN_CROP }
 * demoCrop(640, 480, [100, 50, 300, 450]).scale; // 2
 * ```
 */
export function demoCrop(width: number, height: number, box?: DemoBox): DemoCrop {
  if (!box) {
    return {
      center: [(width - 1) / 2, (height - 1) / 2],
      scale: Math.max(width, height) / 200,
      crop: PLAIN_CROP,
    };
  }
  const [x1, y1, x2, y2] = box;
  return {
    center: [(x1 + x2) / 2, (y1 + y2) / 2],
    scale: Math.max(x2 - x1, y2 - y1) / 200,
    crop: MPII_CROP,
  };
}

/** One joint as `deno task predict` writes it. */
export interface DemoKeypoint {
  readonly joint: string;
  readonly x: number;
  readonly y: number;
  readonly confidence: number;
  readonly occluded?: boolean;
}

/** A prediction with the heatmaps of the crop (unflipped pass), for display. */
export interface DemoPrediction extends DemoCrop {
  readonly keypoints: DemoKeypoint[];
  /** `[H, W, J]` row-major heatmaps of the crop. */
  readonly heatmaps: { readonly width: number; readonly height: number; values: Float32Array };
}

/**
 * Predicts the pose in `image` (within `box`, or the whole image) with a loaded checkpoint,
 * through the kit's `estimatePoses`: the same cropping, flip test and quarter-pixel decoding as
 * `deno task predict`.
 *
 * @example
 * ```ts
 * const model = await tf.loadLayersModel("/checkpoint/model.json");
 * const p = await predictPose(model, meta, { width, height, data: rgb });
 * p.keypoints[9]; // { joint: "head_top", x, y, confidence }
 * ```
 */
export async function predictPose(
  model: tf.LayersModel,
  meta: DemoMeta,
  image: RgbImage,
  box?: DemoBox,
): Promise<DemoPrediction> {
  const c = demoCrop(image.width, image.height, box);
  let heatmaps: DemoPrediction["heatmaps"] | undefined;
  const predict = async (x: tf.Tensor4D): Promise<tf.Tensor4D> => {
    // [B, S/stride, S/stride, J]: one output of the model; tidy frees the others.
    const out = tf.tidy(() => {
      const all = model.predict(x);
      const list = Array.isArray(all) ? all : [all];
      const chosen = list[meta.outputIndex];
      if (!chosen) throw new Error(`the model has no output ${meta.outputIndex}`);
      return chosen as tf.Tensor4D;
    });
    if (!heatmaps) {
      const [, h, w] = out.shape;
      heatmaps = { width: w, height: h, values: (await out.data()) as Float32Array };
    }
    return out;
  };
  const est = await estimatePoses(predict, [{ image, center: c.center, scale: c.scale }], {
    size: meta.inputSize,
    stride: meta.stride,
    flip: meta.flip,
    batchSize: 1,
    signed: meta.signed,
    crop: c.crop,
  });
  const keypoints = MPII_JOINTS.map((joint, j) => ({
    joint,
    x: est.coords[2 * j]!,
    y: est.coords[2 * j + 1]!,
    confidence: est.confidence[j]!,
    ...(est.occluded ? { occluded: est.occluded[j] === 1 } : {}),
  }));
  return { ...c, keypoints, heatmaps: heatmaps! };
}
