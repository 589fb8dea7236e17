import { NUM_JOINTS } from "./mpii.ts";

/** A keypoint: image coordinates and COCO-style visibility. */
export type Keypoint = readonly [x: number, y: number, v: Visibility];

/**
 * Visibility of a keypoint: 0 = not annotated (missing), 1 = annotated but occluded,
 * 2 = annotated and visible. Missing joints produce no heatmap and are left out of metrics.
 */
export type Visibility = 0 | 1 | 2;

/**
 * Maps keypoints of another joint set onto the MPII channel order. `mapping[i]` is the MPII
 * channel of source joint `i` (or -1 to drop it); MPII channels with no source joint are missing.
 *
 * @example
 * ```ts
 * import { LSP_TO_MPII } from "./lsp.ts";
 * const mpii = remapKeypoints(lspKeypoints, LSP_TO_MPII); // 16 keypoints, pelvis and thorax missing
 * ```
 */
export function remapKeypoints(
  source: readonly Keypoint[],
  mapping: readonly number[],
  numJoints: number = NUM_JOINTS,
): Keypoint[] {
  if (source.length !== mapping.length) {
    throw new Error(
      `joint count mismatch: got ${source.length} keypoints for a ${mapping.length}-joint set`,
    );
  }
  const out: Keypoint[] = Array.from({ length: numJoints }, () => [0, 0, 0] as const);
  source.forEach((kp, i) => {
    const target = mapping[i]!;
    if (target >= 0) out[target] = kp;
  });
  return out;
}
