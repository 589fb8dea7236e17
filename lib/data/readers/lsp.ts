/**
 * Reader for the Leeds Sports Pose datasets as distributed: `joints.mat` plus `images/`.
 *
 * - LSP (`lsp_dataset`): `joints` is 3 x 14 x 2000, images `im0001.jpg` ...; the third row is 1
 *   where the joint is occluded (bearpaw's `gen_lsp.m` flips it the same way). Images 1-1000 are
 *   the training split, 1001-2000 the test split used for PCK@0.2.
 * - LSP extended (`lspet_dataset`): `joints` is 14 x 3 x 10000, images `im00001.jpg` ...; the
 *   third column is 1 where the joint is visible. Training only.
 *
 * Joints map onto the MPII order (pelvis and thorax missing). LSP gives no person centre or
 * scale: the centre is the middle of the annotated joints' box and the scale makes the person
 * box 1.45x the joints' extent (MPII people span 0.69 of their box, median over the validation
 * set), so crops frame LSP people as they frame MPII people. `normalize` is the torso
 * (right shoulder to left hip), LSP's PCK normaliser.
 *
 * @module
 */

import { KitError } from "../../io/errors.ts";
import { readMat } from "../../io/mat.ts";
import { LSP_TO_MPII, LSP_TORSO } from "../../skeleton/lsp.ts";
import { NUM_JOINTS } from "../../skeleton/mpii.ts";
import { type Keypoint, remapKeypoints } from "../../skeleton/remap.ts";
import { type Annotation, FileDataset, finite, requireImageDir } from "./common.ts";

/** Person box over joint extent, from MPII (extent / box = 0.69 median). */
export const LSP_BOX_PER_EXTENT = 1.45;

const LSP_JOINT_COUNT = LSP_TO_MPII.length;

/** LSP's crop: the centre is already the middle of the body, so no downward shift. */
export const LSP_CROP = { padding: 1.25, shiftY: 0 } as const;

/**
 * Centre, scale and torso size of a person from its keypoints (MPII order, annotated ones).
 * Returns undefined when fewer than two joints are annotated.
 *
 * @example
 * ```ts
 * personBox(kps); // { center: [x, y], scale, torso }
 * ```
 */
export function personBox(
  kps: readonly Keypoint[],
): { center: [number, number]; scale: number; torso: number | undefined } | undefined {
  const pts = kps.filter((k) => k[2] > 0);
  if (pts.length < 2) return undefined;
  const xs = pts.map((k) => k[0]), ys = pts.map((k) => k[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(...ys), y1 = Math.max(...ys);
  const extent = Math.max(x1 - x0, y1 - y0, 1);
  const [a, b] = LSP_TORSO;
  const ka = kps[a]!, kb = kps[b]!;
  const torso = ka[2] > 0 && kb[2] > 0 ? Math.hypot(ka[0] - kb[0], ka[1] - kb[1]) : undefined;
  return {
    center: [(x0 + x1) / 2, (y0 + y1) / 2],
    scale: (extent * LSP_BOX_PER_EXTENT) / 200,
    torso,
  };
}

/**
 * Opens LSP or LSP extended from its folder (`joints.mat` and `images/`), one split.
 *
 * @example
 * ```ts
 * const test = await openLsp({ annotations: "data/lsp/joints.mat", imageDir: "data/lsp/images", split: "val" });
 * test.length; // 1000
 * ```
 */
export async function openLsp(
  opts: { annotations: string; imageDir: string; split: "train" | "val" },
): Promise<FileDataset> {
  const file = opts.annotations;
  const mat = await readMat(file);
  const joints = mat.numeric("joints");
  const [d0, d1, d2] = joints.shape;
  let extended: boolean;
  if (joints.shape.length === 3 && d0 === 3 && d1 === LSP_JOINT_COUNT) extended = false;
  else if (joints.shape.length === 3 && d0 === LSP_JOINT_COUNT && d1 === 3) extended = true;
  else {
    throw new KitError(
      `${file}: field "joints" has shape [${joints.shape.join(", ")}], expected [3, 14, N] ` +
        `(LSP) or [14, 3, N] (LSP extended)`,
    );
  }
  const n = d2!;
  if (extended && opts.split === "val") {
    throw new KitError(
      `${file}: LSP extended has no test split; validate on the original LSP (joints 3 x 14 x 2000)`,
    );
  }
  // Row-major [d0, d1, n]: element (a, b, i) at (a * d1 + b) * n + i.
  const at = (a: number, b: number, i: number) => joints.data[(a * d1! + b) * n + i]!;
  const first = extended ? 0 : opts.split === "train" ? 0 : Math.floor(n / 2);
  const last = extended ? n : opts.split === "train" ? Math.floor(n / 2) : n;
  const digits = extended ? 5 : 4;
  const annotations: Annotation[] = [];
  for (let i = first; i < last; i++) {
    const kps: Keypoint[] = [];
    for (let j = 0; j < LSP_JOINT_COUNT; j++) {
      const [x, y, flag] = extended
        ? [at(j, 0, i), at(j, 1, i), at(j, 2, i)]
        : [at(0, j, i), at(1, j, i), at(2, j, i)];
      finite(x, file, "joints", i);
      finite(y, file, "joints", i);
      const visible = extended ? flag > 0 : flag === 0;
      kps.push(x <= 0 && y <= 0 ? [0, 0, 0] : [x, y, visible ? 2 : 1]);
    }
    const keypoints = remapKeypoints(kps, LSP_TO_MPII, NUM_JOINTS);
    const box = personBox(keypoints);
    if (!box) {
      throw new KitError(`${file}: field "joints" has no annotated joints for image ${i + 1}`);
    }
    const image = `im${String(i + 1).padStart(digits, "0")}.jpg`;
    annotations.push({
      id: image,
      image,
      keypoints,
      center: box.center,
      scale: box.scale,
      headBox: null,
      normalize: box.torso,
      normalizeKind: "torso",
    });
  }
  await requireImageDir(opts.imageDir, "LSP images");
  return new FileDataset(
    `${extended ? "lspet" : "lsp"}-${opts.split}`,
    opts.imageDir,
    annotations,
    LSP_CROP,
  );
}
