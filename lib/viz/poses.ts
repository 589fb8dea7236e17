/**
 * Poses drawn over their images as vega-lite figures: one panel per image, the skeletal graph of
 * each pose (ground truth, prediction ...) on top, with legends for the body side and the pose,
 * and optional labelled boxes (e.g. keypoint-masking patches).
 *
 * @module
 */

import { EDGES, JOINT_LABELS, JOINT_SIDES, type Keypoint } from "../skeleton/mod.ts";
import type { VegaLiteSpec } from "./bundle.ts";
import type { Rgb } from "./draw.ts";
import { SIDE_COLORS } from "./draw.ts";
import { type EmbedFormat, imageDataUrl } from "./images.ts";

/** A labelled rectangle in image px (top-left corner and size). */
export interface LabelledBox {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
  readonly label: string;
}

/** One panel: an image, the poses drawn over it, boxes. Keypoints are in image px. */
export interface PosePanel {
  readonly title: string;
  readonly image: Rgb;
  readonly poses: readonly { readonly label: string; readonly keypoints: readonly Keypoint[] }[];
  readonly boxes?: readonly LabelledBox[];
}

/** Options of {@link poseGallerySpec}. */
export interface PoseGalleryOptions {
  readonly title: string;
  /** Default: "filled dots: visible joints; open dots: occluded joints". */
  readonly subtitle?: string;
  /** Panels per row (default 4). */
  readonly columns?: number;
  /** Displayed width of a panel in px (default 160); the height follows the image's aspect. */
  readonly panelSize?: number;
  /** Legend title of the pose labels (default "pose"). */
  readonly poseTitle?: string;
  /** Legend title of the box labels (default "box"). */
  readonly boxTitle?: string;
  /** How images are embedded (default JPEG: photos stay small; PNG for exact pixels). */
  readonly format?: EmbedFormat;
}

const rgb = (c: readonly number[]) => `rgb(${c.join(",")})`;
const SIDES = ["right", "left", "centre"] as const;
const DASHES = [[1, 0], [4, 3], [1, 2], [6, 2, 1, 2]];
const SHAPES = ["circle", "square", "diamond", "triangle-up"];
const BOX_COLORS = ["#d62728", "#ff00ff", "#17becf", "#bcbd22"];

/**
 * Panels of images with skeletons drawn over them. Bones are coloured by body side (the
 * person's right, left, spine) and dashed by pose; joints are dots shaped by pose, filled when
 * visible (v = 2) and open when occluded (v = 1); missing joints (v = 0) are left out. Panels
 * keep their order.
 *
 * @example
 * ```ts
 * const panels = [{ title: "sample 0", image: crop, poses: [{ label: "ground truth", keypoints: meta.keypoints }] }];
 * await show(await vegaLiteBundle(poseGallerySpec(panels, { title: "SynthPose crops" })));
 * ```
 */
export function poseGallerySpec(
  panels: readonly PosePanel[],
  o: PoseGalleryOptions,
): VegaLiteSpec {
  if (panels.length === 0) throw new Error("poseGallerySpec: no panels");
  const width = o.panelSize ?? 160;
  const first = panels[0]!.image;
  if (panels.some((p) => p.image.width !== first.width || p.image.height !== first.height)) {
    throw new Error("poseGallerySpec: every panel's image must have the same size");
  }
  const height = Math.round((width * first.height) / first.width);
  const poseLabels = [...new Set(panels.flatMap((p) => p.poses.map((q) => q.label)))];
  const boxLabels = [...new Set(panels.flatMap((p) => (p.boxes ?? []).map((b) => b.label)))];
  // Facet headers are the panel titles; numbering keeps equal titles apart and in order.
  const names = panels.map((p, i) => `${i + 1}. ${p.title}`);
  const rows: Record<string, unknown>[] = [];
  panels.forEach((p, i) => {
    const panel = names[i];
    rows.push({ layer: "image", panel, url: imageDataUrl(p.image, o.format ?? "jpeg") });
    for (const pose of p.poses) {
      const k = pose.keypoints;
      for (const e of EDGES) {
        const a = k[e.from], b = k[e.to];
        if (!a || !b || a[2] === 0 || b[2] === 0) continue;
        rows.push({
          layer: "bone",
          panel,
          pose: pose.label,
          side: e.side,
          x: a[0],
          y: a[1],
          x2: b[0],
          y2: b[1],
        });
      }
      k.forEach(([x, y, v], j) => {
        if (v === 0 || !Number.isFinite(x) || !Number.isFinite(y)) return;
        rows.push({
          layer: v === 2 ? "visible" : "occluded",
          panel,
          pose: pose.label,
          side: JOINT_SIDES[j] ?? "centre",
          joint: JOINT_LABELS[j] ?? `joint ${j}`,
          x,
          y,
        });
      });
    }
    for (const b of p.boxes ?? []) {
      rows.push({
        layer: "box",
        panel,
        box: b.label,
        x: b.x0 - 0.5,
        y: b.y0 - 0.5,
        x2: b.x0 + b.width - 0.5,
        y2: b.y0 + b.height - 0.5,
      });
    }
  });
  // Pixel i is centred at i, so the image spans [-0.5, size - 0.5] on both axes.
  const x = {
    field: "x",
    type: "quantitative",
    axis: null,
    scale: { domain: [-0.5, first.width - 0.5], nice: false, zero: false },
  };
  const y = {
    field: "y",
    type: "quantitative",
    axis: null,
    scale: { domain: [first.height - 0.5, -0.5], nice: false, zero: false },
  };
  const color = {
    field: "side",
    type: "nominal",
    title: "body side",
    scale: { domain: [...SIDES], range: SIDES.map((s) => rgb(SIDE_COLORS[s])) },
  };
  const pose = (channel: "strokeDash" | "shape") => ({
    field: "pose",
    type: "nominal",
    title: o.poseTitle ?? "pose",
    scale: {
      domain: poseLabels,
      range: poseLabels.map((_, i) => (channel === "shape" ? SHAPES : DASHES)[i % 4]),
    },
  });
  const joint = (filled: boolean) => ({
    transform: [{ filter: `datum.layer === '${filled ? "visible" : "occluded"}'` }],
    mark: { type: "point", filled, size: 36, strokeWidth: 1.5, clip: true, opacity: 1 },
    encoding: {
      x,
      y,
      color,
      shape: pose("shape"),
      tooltip: [{ field: "joint" }, { field: "pose" }],
    },
  });
  const layers: Record<string, unknown>[] = [
    {
      transform: [{ filter: "datum.layer === 'image'" }],
      mark: { type: "image", width, height, align: "left", baseline: "top", aria: false },
      encoding: { url: { field: "url", type: "nominal" }, x: { value: 0 }, y: { value: 0 } },
    },
    {
      transform: [{ filter: "datum.layer === 'bone'" }],
      mark: { type: "rule", strokeWidth: 2.5, clip: true, strokeCap: "round" },
      encoding: {
        x,
        y,
        x2: { field: "x2" },
        y2: { field: "y2" },
        color,
        strokeDash: pose("strokeDash"),
      },
    },
    joint(true),
    joint(false),
  ];
  if (boxLabels.length > 0) {
    layers.push({
      transform: [{ filter: "datum.layer === 'box'" }],
      mark: { type: "rect", fillOpacity: 0, strokeWidth: 2, clip: true },
      encoding: {
        x,
        y,
        x2: { field: "x2" },
        y2: { field: "y2" },
        stroke: {
          field: "box",
          type: "nominal",
          title: o.boxTitle ?? "box",
          legend: { symbolType: "square", symbolFillColor: "transparent" },
          scale: { domain: boxLabels, range: boxLabels.map((_, i) => BOX_COLORS[i % 4]) },
        },
      },
    });
  }
  return {
    title: {
      text: o.title,
      subtitle: o.subtitle ?? "filled dots: visible joints; open dots: occluded joints",
    },
    data: { values: rows },
    facet: {
      field: "panel",
      type: "nominal",
      title: null,
      sort: names,
      header: { labelLimit: width, labelFontSize: 10 },
    },
    columns: o.columns ?? 4,
    spec: { width, height, layer: layers },
    resolve: { scale: { x: "shared", y: "shared" } },
    config: { view: { stroke: null }, legend: { labelLimit: 320 } },
  } as unknown as VegaLiteSpec;
}
