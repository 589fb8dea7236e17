/**
 * The skeletal graph S as a figure: bones of the MPII skeleton in a canonical standing pose, and
 * one small panel per keypoint highlighting its structure-aware neighbour group S_n (Ke et al.
 * Eq. 2).
 *
 * @module
 */

import { EDGES, MPII_JOINTS, NUM_JOINTS, STRUCTURE_GROUPS } from "../skeleton/mod.ts";
import type { VegaLiteSpec } from "./bundle.ts";

/**
 * A front-facing standing pose used only to lay out graph figures (x right, y down, person's
 * right on the viewer's left).
 */
export const CANONICAL_LAYOUT: readonly (readonly [number, number])[] = [
  [-0.35, 3.6], // r_ankle
  [-0.3, 2.7], // r_knee
  [-0.25, 1.8], // r_hip
  [0.25, 1.8], // l_hip
  [0.3, 2.7], // l_knee
  [0.35, 3.6], // l_ankle
  [0, 1.75], // pelvis
  [0, 0.6], // thorax
  [0, 0.4], // upper_neck
  [0, -0.1], // head_top
  [-0.95, 1.7], // r_wrist
  [-0.75, 1.15], // r_elbow
  [-0.45, 0.6], // r_shoulder
  [0.45, 0.6], // l_shoulder
  [0.75, 1.15], // l_elbow
  [0.95, 1.7], // l_wrist
];

/**
 * Small multiples of the skeletal graph, one panel per keypoint n: all bones in grey, the
 * members of S_n in colour with n itself marked. `groups` defaults to the kit's
 * STRUCTURE_GROUPS.
 *
 * @example
 * ```ts
 * await show(await vegaLiteBundle(structureGroupsSpec()));
 * ```
 */
export function structureGroupsSpec(
  groups: readonly (readonly number[])[] = STRUCTURE_GROUPS,
  title = "Structure-aware neighbour groups S_n (Ke et al. Eq. 2)",
): VegaLiteSpec {
  const rows: Record<string, unknown>[] = [];
  for (let n = 0; n < NUM_JOINTS; n++) {
    const panel = `${String(n).padStart(2, "0")} ${MPII_JOINTS[n]}`;
    const members = new Set(groups[n] ?? []);
    for (const e of EDGES) {
      const [x, y] = CANONICAL_LAYOUT[e.from]!;
      const [x2, y2] = CANONICAL_LAYOUT[e.to]!;
      rows.push({ panel, layer: "bone", x, y, x2, y2 });
    }
    for (const j of members) {
      const [x, y] = CANONICAL_LAYOUT[j]!;
      rows.push({ panel, layer: "joint", x, y, role: j === n ? "keypoint n" : "neighbour in S_n" });
    }
    // The combined map of S_n links its members: draw the links the loss compares.
    for (const j of members) {
      if (j === n) continue;
      const [x, y] = CANONICAL_LAYOUT[n]!;
      const [x2, y2] = CANONICAL_LAYOUT[j]!;
      rows.push({ panel, layer: "link", x, y, x2, y2 });
    }
  }
  // Every layer places its marks on the same fixed body layout, without axes.
  const position = {
    x: { field: "x", type: "quantitative", scale: { domain: [-1.2, 1.2] }, axis: null },
    y: { field: "y", type: "quantitative", scale: { domain: [3.9, -0.4] }, axis: null },
  };
  const segments = (layer: "bone" | "link", color: string, strokeWidth: number) => ({
    transform: [{ filter: `datum.layer === '${layer}'` }],
    mark: { type: "rule", color, strokeWidth },
    encoding: { ...position, x2: { field: "x2" }, y2: { field: "y2" } },
  });
  return {
    title,
    data: { values: rows },
    facet: { field: "panel", type: "nominal", title: "keypoint n", columns: 8 },
    spec: {
      width: 90,
      height: 140,
      layer: [
        segments("bone", "#bbbbbb", 2),
        segments("link", "#d62728", 3),
        {
          transform: [{ filter: "datum.layer === 'joint'" }],
          mark: { type: "point", filled: true, size: 60 },
          encoding: {
            ...position,
            color: {
              field: "role",
              type: "nominal",
              title: "joint",
              scale: { domain: ["keypoint n", "neighbour in S_n"], range: ["#d62728", "#1f77b4"] },
            },
          },
        },
      ],
    },
  } as VegaLiteSpec;
}
