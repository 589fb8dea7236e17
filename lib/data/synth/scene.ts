/**
 * One SynthPose scene: a cluttered background, the target person, people overlapping it, and
 * objects hiding some of its joints. Returns the image and the target's annotation in the MPII
 * convention: 16 joints with visibility, centre, scale (person box / 200 px) and head box.
 *
 * It stays one file (just over 300 lines) because its steps share one random stream in a fixed
 * order, and reading them together is how one checks that a seed's scene never changes.
 *
 * @module
 */

import type { Random } from "../../random/random.ts";
import { J, NUM_JOINTS } from "../../skeleton/mpii.ts";
import type { Keypoint } from "../../skeleton/remap.ts";
import type { SynthConfig } from "../config.ts";
import type { Box, RgbImage } from "../types.ts";
import { type Appearance, randomAppearance } from "./appearance.ts";
import { type BodyPart, bodyParts } from "./body.ts";
import { hsv, type Paint, randomColor, randomPaint, type Rgb, shade, skinColor } from "./paint.ts";
import { samplePose } from "./pose.ts";
import { Canvas, Capsule, Ellipse, Polygon, type Shape } from "./raster.ts";

/** A rendered scene and its target person's annotation. */
export interface SynthScene {
  readonly image: RgbImage;
  readonly keypoints: Keypoint[];
  readonly center: [number, number];
  readonly scale: number;
  readonly headBox: Box;
  /** Number of other people drawn (for figures and tests). */
  readonly distractors: number;
  /** Number of occluding objects drawn. */
  readonly occluders: number;
}

/** A shape in drawing order, with the person and joints it belongs to (for visibility). */
interface Layer {
  readonly shape: Shape;
  /** "target" parts carry the target joints they are attached to. */
  readonly owner: "target" | "other";
  readonly joints: readonly number[];
}

/** MPII head size is 0.6 x the head-box diagonal and 0.75 x the neck-to-top length (median). */
const HEAD_BOX_SIDE = 0.75 / (0.6 * Math.SQRT2);

/** Draws `count` items where item k is drawn with probability p / 2^k, stopping at the first miss. */
function geometricCount(rng: Random, p: number, max: number): number {
  let n = 0;
  while (n < max && rng.chance(p / 2 ** n)) n++;
  return n;
}

function logUniform(rng: Random, lo: number, hi: number): number {
  return Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));
}

/** A random object: rotated box, ellipse or irregular polygon around `(cx, cy)`, size `r` px. */
function randomObject(rng: Random, cx: number, cy: number, r: number, paint: Paint): Shape {
  const kind = rng.next();
  const angle = rng.uniform(0, Math.PI);
  if (kind < 0.35) {
    const a = r * rng.uniform(0.5, 1), b = r * rng.uniform(0.3, 1);
    const c = Math.cos(angle), s = Math.sin(angle);
    const corner = (u: number, v: number): [number, number] => [
      cx + u * c - v * s,
      cy + u * s + v * c,
    ];
    return new Polygon([corner(-a, -b), corner(a, -b), corner(a, b), corner(-a, b)], paint);
  }
  if (kind < 0.65) {
    return new Ellipse(cx, cy, r * rng.uniform(0.5, 1), r * rng.uniform(0.3, 1), angle, paint, 0.3);
  }
  const n = rng.int(3, 7);
  const points: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    const t = angle + (2 * Math.PI * (i + rng.uniform(-0.3, 0.3))) / n;
    const rr = r * rng.uniform(0.4, 1);
    points.push([cx + rr * Math.cos(t), cy + rr * Math.sin(t)]);
  }
  return new Polygon(points, paint);
}

/** Fills the canvas with a background: a textured wall, often a floor, then clutter. */
function drawBackground(
  c: Canvas,
  rng: Random,
  cfg: SynthConfig,
  personPx: number,
): void {
  const size = Math.max(c.width, c.height);
  const wallC = randomColor(rng);
  c.fill(
    randomPaint(rng, wallC, rng.chance(0.5) ? randomColor(rng) : shade(wallC, 0.7), size / 10, {
      solid: 0.25,
    }),
  );
  if (rng.chance(0.5)) {
    const horizon = c.height * rng.uniform(0.35, 0.85);
    const tilt = rng.normal(0, 0.1) * c.width;
    const floorC = randomColor(rng);
    new Polygon(
      [[-1, horizon - tilt], [c.width + 1, horizon + tilt], [c.width + 1, c.height + 1], [
        -1,
        c.height + 1,
      ]],
      randomPaint(rng, floorC, shade(floorC, rng.uniform(0.5, 0.9)), size / 12, { solid: 0.3 }),
    ).draw(c);
  }
  for (let i = 0; i < cfg.clutter; i++) {
    const r = logUniform(rng, size * 0.02, size * 0.25);
    const col = randomColor(rng);
    const paint = randomPaint(
      rng,
      col,
      rng.chance(0.5) ? randomColor(rng) : shade(col, 0.6),
      r / 3,
    );
    const cx = rng.uniform(-0.1, 1.1) * c.width, cy = rng.uniform(-0.1, 1.1) * c.height;
    if (rng.chance(0.2)) {
      // Poles, edges, cables: long thin strokes.
      const t = rng.uniform(0, Math.PI), len = r * rng.uniform(2, 6);
      new Capsule(
        cx,
        cy,
        Math.max(1, r * 0.08),
        cx + len * Math.cos(t),
        cy + len * Math.sin(t),
        Math.max(1, r * 0.08),
        paint,
        0.2,
      ).draw(c);
    } else {
      randomObject(rng, cx, cy, r, paint).draw(c);
    }
  }
  // Limb-like clutter: tapered skin- and cloth-coloured strokes at the person's limb scale, and
  // the odd head-like blob, so that body parts cannot be found by colour and shape alone.
  for (let i = 0; i < cfg.limbClutter; i++) {
    const cx = rng.uniform(0, c.width), cy = rng.uniform(0, c.height);
    const col: Rgb = rng.chance(0.5) ? skinColor(rng) : randomColor(rng);
    const paint = randomPaint(rng, col, shade(col, 0.8), personPx / 25, { solid: 0.7 });
    if (rng.chance(0.2)) {
      const r = personPx * rng.uniform(0.05, 0.09);
      new Ellipse(cx, cy, r * 1.2, r, rng.uniform(0, Math.PI), paint, 0.35).draw(c);
      continue;
    }
    const t = rng.uniform(0, 2 * Math.PI), len = personPx * rng.uniform(0.12, 0.3);
    const r0 = personPx * rng.uniform(0.025, 0.07);
    new Capsule(
      cx,
      cy,
      r0,
      cx + len * Math.cos(t),
      cy + len * Math.sin(t),
      r0 * rng.uniform(0.6, 1),
      paint,
    ).draw(c);
  }
}

/** Places a pose (box units around its centre) in the image: rotate, scale, translate. */
function placePose(
  xy: Float64Array,
  center: readonly [number, number],
  box: number,
  rotationDeg: number,
): Float64Array {
  const t = (rotationDeg * Math.PI) / 180;
  const c = Math.cos(t), s = Math.sin(t);
  const out = new Float64Array(xy.length);
  for (let j = 0; j < xy.length / 2; j++) {
    const x = xy[2 * j]!, y = xy[2 * j + 1]!;
    out[2 * j] = center[0] + box * (c * x - s * y);
    out[2 * j + 1] = center[1] + box * (s * x + c * y);
  }
  return out;
}

/**
 * Renders one scene of side `size` px from a seeded stream. Everything about the scene (poses,
 * looks, placement, clutter) comes from `rng`, so equal seeds give equal scenes. With
 * `pixels: false` only the annotation is computed (the image is empty).
 *
 * @example
 * ```ts
 * const scene = renderScene(dataDefaults.synth, 256, "train", new Random(hashSeed(1, 0)));
 * scene.keypoints.length; // 16
 * ```
 */
export function renderScene(
  cfg: SynthConfig,
  size: number,
  split: "train" | "val",
  rng: Random,
  options: { readonly pixels?: boolean } = {},
): SynthScene {
  // Without pixels every random draw still happens, so the annotation is the same as the
  // rendered scene's: baselines and statistics get annotations at a fraction of the cost.
  const canvas = new Canvas(size, size, options.pixels === false);
  const [smin, smax] = [cfg.personScale[0]!, cfg.personScale[1]!];
  const box = size * logUniform(rng, smin, smax);
  const poseOpts = {
    source: cfg.poses,
    kinematicFraction: cfg.kinematicFraction,
    jitterDeg: cfg.poseJitter,
    proportions: cfg.proportions,
  };

  // Where the person goes: the crop box (1.25 x the person box, 15 scale-units lower, as in
  // MPII) stays inside the image when it fits, anywhere inside otherwise.
  const cropSide = 1.25 * box;
  const slack = Math.max(0, size - cropSide) / 2;
  const shift = (15 * box) / 200;
  const center: [number, number] = [
    size / 2 + rng.uniform(-slack, slack),
    size / 2 + rng.uniform(-slack, slack) - shift,
  ];
  const rotation = Math.max(-3, Math.min(3, rng.normal(0, 1))) * cfg.rotation;
  const pose = samplePose(rng, split, poseOpts);
  const xy = placePose(pose.xy, center, box, rotation);
  const look: Appearance = randomAppearance(rng, box, cfg.sideColors);

  drawBackground(canvas, rng, cfg, box);

  // Other people, behind or in front of the target, overlapping it by a good part of a body.
  const layers: Layer[] = [];
  const behind: Shape[] = [];
  const nOthers = geometricCount(rng, cfg.distractors, cfg.maxDistractors);
  for (let k = 0; k < nOthers; k++) {
    const otherBox = box * rng.uniform(0.75, 1.25);
    const side = rng.chance(0.5) ? 1 : -1;
    const otherCenter: [number, number] = [
      center[0] + side * box * rng.uniform(0.25, 0.7),
      center[1] + box * rng.uniform(-0.2, 0.2),
    ];
    const other = samplePose(rng, split, poseOpts);
    const otherXy = placePose(other.xy, otherCenter, otherBox, rng.normal(0, cfg.rotation));
    const otherLook = randomAppearance(rng, otherBox, cfg.sideColors);
    const parts = bodyParts(otherXy, other.depth, otherBox, otherLook, rng, cfg.face);
    if (rng.chance(0.6)) behind.push(...parts.map((p) => p.shape));
    else layers.push(...parts.map((p): Layer => ({ shape: p.shape, owner: "other", joints: [] })));
  }
  const targetParts: BodyPart[] = bodyParts(xy, pose.depth, box, look, rng, cfg.face);
  const ordered: Layer[] = [
    ...targetParts.map((p): Layer => ({ shape: p.shape, owner: "target", joints: p.joints })),
    ...layers,
  ];

  // Objects in front of the target, each over one of its joints.
  const inside = (j: number) =>
    xy[2 * j]! >= 0 && xy[2 * j]! <= size - 1 && xy[2 * j + 1]! >= 0 && xy[2 * j + 1]! <= size - 1;
  const nOccluders = geometricCount(rng, cfg.occluders, 2);
  for (let k = 0; k < nOccluders; k++) {
    const candidates = Array.from({ length: NUM_JOINTS }, (_, j) => j).filter(inside);
    if (candidates.length === 0) break;
    const j = rng.pick(candidates);
    const r = box * rng.uniform(0.06, 0.16);
    const col = rng.chance(0.8) ? randomColor(rng) : hsv(rng.uniform(0, 360), 0.1, 0.5);
    const shape = randomObject(
      rng,
      xy[2 * j]! + rng.uniform(-0.4, 0.4) * r,
      xy[2 * j + 1]! + rng.uniform(-0.4, 0.4) * r,
      r,
      randomPaint(rng, col, randomColor(rng), r / 2),
    );
    ordered.push({ shape, owner: "other", joints: [] });
  }

  for (const s of behind) s.draw(canvas);
  for (const l of ordered) l.shape.draw(canvas);
  canvas.finish(rng, cfg.lighting, cfg.noise);

  // Visibility: outside the image = missing; covered by anything drawn after the joint's own
  // parts (other than parts attached to the joint) = occluded; otherwise visible.
  const keypoints: Keypoint[] = [];
  for (let j = 0; j < NUM_JOINTS; j++) {
    const x = xy[2 * j]!, y = xy[2 * j + 1]!;
    if (!inside(j)) {
      keypoints.push([0, 0, 0]);
      continue;
    }
    let own = -1;
    ordered.forEach((l, i) => {
      if (l.owner === "target" && l.joints.includes(j)) own = i;
    });
    let covered = false;
    for (let i = own + 1; i < ordered.length && !covered; i++) {
      const l = ordered[i]!;
      if (!l.joints.includes(j) && l.shape.contains(x, y)) covered = true;
    }
    keypoints.push([x, y, covered ? 1 : 2]);
  }

  const hx = (xy[2 * J.upper_neck]! + xy[2 * J.head_top]!) / 2;
  const hy = (xy[2 * J.upper_neck + 1]! + xy[2 * J.head_top + 1]!) / 2;
  const headLen = Math.hypot(
    xy[2 * J.head_top]! - xy[2 * J.upper_neck]!,
    xy[2 * J.head_top + 1]! - xy[2 * J.upper_neck + 1]!,
  );
  const half = (HEAD_BOX_SIDE * headLen) / 2;
  return {
    image: canvas.toImage(),
    keypoints,
    center,
    scale: box / 200,
    headBox: [hx - half, hy - half, hx + half, hy + half],
    distractors: nOthers,
    occluders: nOccluders,
  };
}
