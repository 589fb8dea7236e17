/**
 * Opening the configured dataset: `data.dataset` picks the reader, `data.root`, `data.imageDir`
 * and `data.annotations` say where its files are (defaults: the layouts in data/README.md under
 * the kit's `data/` folder).
 *
 * @module
 */

import { fromFileUrl, join } from "@std/path";
import { KitError } from "../io/errors.ts";
import type { DataConfig } from "./config.ts";
import { synthImageSize, validateDataConfig } from "./config.ts";
import { openFlicH5, openMpiiH5 } from "./readers/hg_h5.ts";
import { openLsp } from "./readers/lsp.ts";
import { openMpiiJson } from "./readers/mpii_json.ts";
import type { FileDataset } from "./readers/common.ts";
import { SynthPose } from "./synth/dataset.ts";
import type { PoseDataset } from "./types.ts";

/** A split of a dataset. */
export type Split = "train" | "val";

/** The kit's `data/` folder, where dataset roots default to (independent of the working dir). */
export const KIT_DATA_DIR: string = fromFileUrl(new URL("../../data/", import.meta.url));

/**
 * Where a dataset's files are for a config: root, image folder and the split's annotation file.
 *
 * @example
 * ```ts
 * datasetPaths({ ...dataDefaults, dataset: "mpii_h5" }, "val");
 * // { root: ".../data/mpii", imageDir: ".../data/mpii/images", annotations: ".../data/mpii/annot/valid.h5" }
 * ```
 */
export function datasetPaths(
  cfg: DataConfig,
  split: Split,
): { root: string; imageDir: string; annotations: string } {
  const family = cfg.dataset.startsWith("mpii") ? "mpii" : cfg.dataset;
  const root = cfg.root || join(KIT_DATA_DIR, family);
  const imageDir = cfg.imageDir || join(root, "images");
  const h5 = join(root, "annot", split === "train" ? "train.h5" : "valid.h5");
  const defaults: Record<DataConfig["dataset"], string> = {
    synth: "",
    mpii_h5: h5,
    flic: h5,
    mpii_json: join(root, "mpii_annotations.json"),
    lsp: join(root, "joints.mat"),
  };
  return { root, imageDir, annotations: cfg.annotations[split] || defaults[cfg.dataset] };
}

/**
 * Opens one split of the configured dataset, limited to `trainLimit` / `valLimit` samples when
 * set. A missing annotation file or image folder, or a malformed file, is a KitError naming it.
 *
 * @example
 * ```ts
 * const train = await openDataset(dataConfig({ synth: { trainSize: 5000 } }), "train");
 * const val = await openDataset(dataConfig({ dataset: "mpii_h5" }), "val"); // data/mpii/...
 * ```
 */
export async function openDataset(cfg: DataConfig, split: Split): Promise<PoseDataset> {
  validateDataConfig(cfg);
  const limit = split === "train" ? cfg.trainLimit : cfg.valLimit;
  if (cfg.dataset === "synth") {
    const size = split === "train" ? cfg.synth.trainSize : cfg.synth.valSize;
    return new SynthPose(
      cfg.synth,
      split,
      synthImageSize(cfg),
      limit > 0 ? Math.min(limit, size) : size,
    );
  }
  const { imageDir, annotations } = datasetPaths(cfg, split);
  try {
    await Deno.stat(annotations);
  } catch {
    throw new KitError(
      `${annotations}: ${cfg.dataset} annotation file not found (set data.root or ` +
        `data.annotations.${split}; see data/README.md for where datasets go)`,
    );
  }
  let ds: FileDataset;
  switch (cfg.dataset) {
    case "mpii_h5":
      ds = await openMpiiH5({ annotations, imageDir });
      break;
    case "mpii_json":
      ds = await openMpiiJson({ annotations, imageDir, split });
      break;
    case "lsp":
      ds = await openLsp({ annotations, imageDir, split });
      break;
    case "flic":
      ds = await openFlicH5({ annotations, imageDir });
      break;
  }
  return ds.limit(limit);
}
