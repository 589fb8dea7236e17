/**
 * SynthPose as a dataset: sample `i` of a split is rendered on demand from the seed
 * `(synth.seed, split, i)`, so any sample can be regenerated anywhere (a worker, another
 * machine) without storing images.
 *
 * @module
 */

import { hashSeed, Random } from "../../random/random.ts";
import type { SynthConfig } from "../config.ts";
import { MPII_CROP, type PoseDataset, type PoseSample } from "../types.ts";
import { renderScene } from "./scene.ts";

const SPLIT_TAG = { train: 0x7472, val: 0x7661 } as const;

/**
 * The procedural dataset. Its people follow MPII's centre and scale convention, so the pipeline
 * crops them exactly as it crops MPII.
 *
 * @example
 * ```ts
 * const ds = new SynthPose(dataDefaults.synth, "train", 256);
 * const s = await ds.get(0); // the same sample in every process
 * ```
 */
export class SynthPose implements PoseDataset {
  readonly name: string;
  readonly length: number;
  readonly crop = MPII_CROP;

  constructor(
    readonly config: SynthConfig,
    readonly split: "train" | "val",
    /** Scene side in px. */
    readonly imageSize: number,
    length?: number,
  ) {
    this.name = `synth-${split}`;
    this.length = length ?? (split === "train" ? config.trainSize : config.valSize);
  }

  /**
   * Renders sample `index` synchronously; with `pixels: false` only its annotation (the image
   * is then 0 x 0), identical to the rendered sample's.
   */
  render(index: number, options: { readonly pixels?: boolean } = {}): PoseSample {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`${this.name}: index ${index} outside 0..${this.length - 1}`);
    }
    const rng = new Random(hashSeed(this.config.seed, SPLIT_TAG[this.split], index));
    const scene = renderScene(this.config, this.imageSize, this.split, rng, options);
    return {
      id: `${this.name}-${String(index).padStart(6, "0")}`,
      image: options.pixels === false
        ? { width: 0, height: 0, data: new Uint8Array(0) }
        : scene.image,
      keypoints: scene.keypoints,
      center: scene.center,
      scale: scene.scale,
      headBox: scene.headBox,
      normalize: undefined,
    };
  }

  get(index: number): Promise<PoseSample> {
    try {
      return Promise.resolve(this.render(index));
    } catch (e) {
      return Promise.reject(e);
    }
  }
}
