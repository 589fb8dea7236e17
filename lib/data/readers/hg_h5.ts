/**
 * Readers for the HDF5 annotation layout of princeton-vl/pose-hg-train (`annot/train.h5`,
 * `annot/valid.h5`): MPII (16 joints) and FLIC (11 joints).
 *
 * Fields: `center` [N, 2], `scale` [N], `part` [N, J, 2] (0, 0 where not annotated), `visible`
 * [N, J], `normalize` [N], `imgname` [N] strings; `index`, `person` and `torsoangle` are read
 * when present and otherwise ignored.
 *
 * pose-hg-train's MPII files already hold the crop adjustment of its Torch code (centre 15 scale
 * units lower, scale x 1.25: see its `src/misc/convert_annot.py`; the shared reference
 * `valid.h5` is exactly 1.25x and +15 s from the bearpaw JSON of the same people). The MPII
 * reader undoes it, so both MPII readers return MPII's own `objpos` and `scale` and the
 * pipeline applies the convention once.
 *
 * Coordinates are kept as in the files (MATLAB's 1-based pixels, like the evaluation files).
 *
 * @module
 */

import { basename } from "@std/path";
import { expectShape, KitError, readH5 } from "../../io/mod.ts";
import { FLIC_TO_MPII } from "../../skeleton/flic.ts";
import { NUM_JOINTS } from "../../skeleton/mpii.ts";
import { type Keypoint, remapKeypoints } from "../../skeleton/remap.ts";
import { type CropConvention, MPII_CROP, PLAIN_CROP } from "../types.ts";
import { type Annotation, FileDataset, finite, keypointFrom, requireImageDir } from "./common.ts";

/** The crop adjustment pose-hg-train baked into its MPII annotation files. */
export const HG_BAKED_ADJUST = { padding: 1.25, shiftY: 15 } as const;

interface H5Layout {
  readonly joints: number;
  readonly mapping?: readonly number[];
  readonly normalizeKind: "head" | "torso";
  /** Undo pose-hg-train's baked crop adjustment. */
  readonly unbake: boolean;
}

async function readHgAnnotations(path: string, layout: H5Layout): Promise<Annotation[]> {
  const h5 = await readH5(path);
  const file = path;
  const center = h5.numeric("center");
  const n = center.shape[0] ?? 0;
  expectShape(center, [-1, 2], file, "center");
  const scale = h5.numeric("scale");
  expectShape(scale, [n], file, "scale");
  const part = h5.numeric("part");
  expectShape(part, [n, layout.joints, 2], file, "part");
  const visible = h5.numeric("visible");
  expectShape(visible, [n, layout.joints], file, "visible");
  const normalize = h5.numeric("normalize");
  expectShape(normalize, [n], file, "normalize");
  const names = h5.strings("imgname");
  if (names.length !== n) {
    throw new KitError(
      `${file}: field "imgname" has ${names.length} entries, expected ${n} (one per person)`,
    );
  }
  const person = h5.has("person") ? h5.numeric("person").data : undefined;
  const out: Annotation[] = [];
  for (let i = 0; i < n; i++) {
    let s = finite(scale.data[i]!, file, "scale", i);
    const cx = finite(center.data[2 * i]!, file, "center", i);
    let cy = finite(center.data[2 * i + 1]!, file, "center", i);
    if (layout.unbake) {
      s /= HG_BAKED_ADJUST.padding;
      cy -= HG_BAKED_ADJUST.shiftY * s;
    }
    if (!(s > 0)) {
      throw new KitError(
        `${file}: field "scale" is ${scale.data[i]} at row ${i}, expected > 0`,
      );
    }
    let kps: Keypoint[] = [];
    for (let j = 0; j < layout.joints; j++) {
      const o = (i * layout.joints + j) * 2;
      kps.push(keypointFrom(
        finite(part.data[o]!, file, "part", i),
        finite(part.data[o + 1]!, file, "part", i),
        visible.data[i * layout.joints + j]!,
      ));
    }
    if (layout.mapping) kps = remapKeypoints(kps, layout.mapping, NUM_JOINTS);
    const name = names[i]!;
    out.push({
      id: `${name}#${person ? person[i] : i}`,
      image: name,
      keypoints: kps,
      center: [cx, cy],
      scale: s,
      headBox: null,
      normalize: finite(normalize.data[i]!, file, "normalize", i),
      normalizeKind: layout.normalizeKind,
    });
  }
  return out;
}

/**
 * Opens MPII annotations in the pose-hg-train HDF5 layout, with images under `imageDir`.
 * `unbake: false` reads files whose centre and scale are MPII's own (not pre-adjusted).
 *
 * @example
 * ```ts
 * const val = await openMpiiH5({ annotations: "data/mpii/annot/valid.h5", imageDir: "data/mpii/images" });
 * val.length; // 2958
 * ```
 */
export async function openMpiiH5(
  opts: { annotations: string; imageDir: string; unbake?: boolean },
): Promise<FileDataset> {
  return await openHg("mpii", opts, {
    joints: NUM_JOINTS,
    normalizeKind: "head",
    unbake: opts.unbake ?? true,
  }, MPII_CROP);
}

/**
 * Opens FLIC annotations in the pose-hg-train HDF5 layout (11 joints mapped onto the MPII
 * order; `normalize` is the torso size). FLIC's centres are already where Newell et al. crop
 * (centred on the torso box horizontally, no vertical adjustment), so its crop is plain.
 *
 * @example
 * ```ts
 * const val = await openFlicH5({ annotations: "data/flic/annot/valid.h5", imageDir: "data/flic/images" });
 * val.length; // 1016
 * ```
 */
export async function openFlicH5(
  opts: { annotations: string; imageDir: string },
): Promise<FileDataset> {
  return await openHg("flic", opts, {
    joints: FLIC_TO_MPII.length,
    mapping: FLIC_TO_MPII,
    normalizeKind: "torso",
    unbake: false,
  }, PLAIN_CROP);
}

/** Reads one dataset's annotations in `layout`, checks its image folder and names it `<set>-<file>`. */
async function openHg(
  set: "mpii" | "flic",
  opts: { annotations: string; imageDir: string },
  layout: H5Layout,
  crop: CropConvention,
): Promise<FileDataset> {
  const annotations = await readHgAnnotations(opts.annotations, layout);
  await requireImageDir(opts.imageDir, `${set.toUpperCase()} images`);
  return new FileDataset(`${set}-${basename(opts.annotations)}`, opts.imageDir, annotations, crop);
}
