/**
 * A SynthPose person: the shapes of the body (torso, neck, head with hair and face, tapered
 * limbs, hands, feet) laid over a pose.
 *
 * Left and right are MPII's: the person's own. A 2D figure with no cue to which way it faces
 * is ambiguous under that convention (a figure seen from the front and the same figure seen
 * from the back swap every left and right label), so SynthPose gives the cues real photographs
 * give: a face on a head that faces the camera and hair over the back of one that faces away
 * (`synth.face`). The side colour code (`synth.sideColors`) is an artificial, stronger cue for
 * easy data: right limbs in warm colours, left limbs in cool ones. The clothing and colours are
 * drawn in `appearance.ts`.
 *
 * @module
 */

import type { Random } from "../../random/random.ts";
import { J } from "../../skeleton/mpii.ts";
import type { Appearance } from "./appearance.ts";
import { type Rgb, solidPaint } from "./paint.ts";
import { Capsule, Ellipse, Polygon, type Shape } from "./raster.ts";

/**
 * Which way a posed person faces, from the 2D order of its shoulders and hips against the spine:
 * +1 facing the camera (its left shoulder on the image's right of an upright body), -1 facing
 * away, near 0 in profile. It is the sine of the angle between the right-to-left shoulder-and-hip
 * direction and the spine (thorax to pelvis), so rotation in the image plane does not change it.
 *
 * @example
 * ```ts
 * facing(xy); // 0.97 for a frontal upright person, -0.97 for the same seen from behind
 * ```
 */
export function facing(xy: Float64Array): number {
  const x = (j: number) => xy[2 * j]!;
  const y = (j: number) => xy[2 * j + 1]!;
  const ux = x(J.l_shoulder) - x(J.r_shoulder) + x(J.l_hip) - x(J.r_hip);
  const uy = y(J.l_shoulder) - y(J.r_shoulder) + y(J.l_hip) - y(J.r_hip);
  const vx = x(J.pelvis) - x(J.thorax), vy = y(J.pelvis) - y(J.thorax);
  const n = Math.hypot(ux, uy) * Math.hypot(vx, vy);
  return n < 1e-9 ? 0 : (ux * vy - uy * vx) / n;
}

/** |facing| above which a head shows a face (front) or the back of the head (away). */
const FACING_FACE = 0.25;
const EYE_COLOR: Rgb = [25, 22, 28];
const MOUTH_COLOR: Rgb = [110, 35, 40];

/** A drawn piece of a person: its shape, the joints it carries, and its depth. */
export interface BodyPart {
  readonly shape: Shape;
  /** Joints this part is attached to: it never hides them. */
  readonly joints: readonly number[];
  readonly depth: number;
}

/** Part radii in box units (fractions of the MPII person box) for an average build. */
const RADII = {
  upperArm: [0.045, 0.036],
  forearm: [0.035, 0.026],
  thigh: [0.07, 0.05],
  shin: [0.05, 0.034],
  neck: 0.035,
  torsoCore: 0.075,
  hand: 0.032,
  foot: 0.028,
} as const;

const LIMBS = [
  { chain: [J.r_shoulder, J.r_elbow, J.r_wrist], arm: true, isLeft: false },
  { chain: [J.l_shoulder, J.l_elbow, J.l_wrist], arm: true, isLeft: true },
  { chain: [J.r_hip, J.r_knee, J.r_ankle], arm: false, isLeft: false },
  { chain: [J.l_hip, J.l_knee, J.l_ankle], arm: false, isLeft: true },
] as const;

const TORSO_JOINTS = [J.pelvis, J.thorax, J.r_hip, J.l_hip, J.r_shoulder, J.l_shoulder];

/**
 * The parts of a person posed at `xy` (image px, `[x0, y0, ...]`) with joint depths `depth`,
 * for a person box of `box` px, sorted far to near (draw in this order). With `face`, a head
 * facing the camera gets eyes and a mouth and one facing away is covered by its hair.
 *
 * @example
 * ```ts
 * for (const part of bodyParts(xy, depth, 180, look, rng, true)) part.shape.draw(canvas);
 * ```
 */
export function bodyParts(
  xy: Float64Array,
  depth: Float64Array,
  box: number,
  look: Appearance,
  rng: Random,
  face = false,
): BodyPart[] {
  const x = (j: number) => xy[2 * j]!;
  const y = (j: number) => xy[2 * j + 1]!;
  const w = box * look.build;
  const z = (joints: readonly number[]) =>
    joints.reduce((s, j) => s + depth[j]!, 0) / joints.length;
  const parts: BodyPart[] = [];

  // Torso: the shoulder-hip quadrilateral widened a little, plus a core along the spine so that
  // a side view (shoulders on top of each other) still has a body.
  const torsoZ = z(TORSO_JOINTS);
  const widen = (a: number, b: number, k: number): [number, number] => {
    const dx = x(a) - x(b), dy = y(a) - y(b);
    const n = Math.max(1e-6, Math.hypot(dx, dy));
    return [x(a) + (dx / n) * k * w, y(a) + (dy / n) * k * w];
  };
  parts.push({
    shape: new Polygon([
      widen(J.r_shoulder, J.l_shoulder, 0.03),
      widen(J.l_shoulder, J.r_shoulder, 0.03),
      widen(J.l_hip, J.r_hip, 0.04),
      widen(J.r_hip, J.l_hip, 0.04),
    ], look.top),
    joints: TORSO_JOINTS,
    depth: torsoZ,
  });
  parts.push({
    shape: new Capsule(
      x(J.pelvis),
      y(J.pelvis),
      RADII.torsoCore * w * 1.1,
      x(J.thorax),
      y(J.thorax),
      RADII.torsoCore * w,
      look.top,
      0.3,
    ),
    joints: TORSO_JOINTS,
    depth: torsoZ + 1e-4,
  });
  // Hips in trousers: a band over the pelvis in the bottom's paint.
  parts.push({
    shape: new Capsule(
      x(J.r_hip),
      y(J.r_hip),
      RADII.thigh[0] * w,
      x(J.l_hip),
      y(J.l_hip),
      RADII.thigh[0] * w,
      look.bottom,
      0.3,
    ),
    joints: [J.pelvis, J.r_hip, J.l_hip],
    depth: torsoZ + 2e-4,
  });

  // Neck and head. The head ellipse spans upper neck (chin) to head top.
  const headZ = z([J.upper_neck, J.head_top]);
  parts.push({
    shape: new Capsule(
      x(J.thorax),
      y(J.thorax),
      RADII.neck * w,
      x(J.upper_neck),
      y(J.upper_neck),
      RADII.neck * w * 0.9,
      look.skin,
      0.3,
    ),
    joints: [J.thorax, J.upper_neck],
    depth: headZ - 1e-4,
  });
  const hx = x(J.head_top) - x(J.upper_neck), hy = y(J.head_top) - y(J.upper_neck);
  const headLen = Math.max(1, Math.hypot(hx, hy));
  const turned = face ? facing(xy) : 0;
  // Seen from behind, the hair covers the head down to the nape.
  const hair = look.hair && turned < -FACING_FACE ? { ...look.hair, from: -0.75 } : look.hair;
  parts.push({
    shape: new Ellipse(
      x(J.upper_neck) + hx / 2,
      y(J.upper_neck) + hy / 2,
      headLen * 0.52,
      headLen * 0.4 * Math.sqrt(look.build),
      Math.atan2(hy, hx),
      look.skin,
      0.35,
      hair ?? undefined,
    ),
    joints: [J.upper_neck, J.head_top],
    depth: headZ,
  });
  if (turned > FACING_FACE) parts.push(...faceParts(xy, headLen, headZ));

  // Limbs: upper and lower segment, then hand or foot, each a little nearer than the last so
  // a bent limb overlaps itself the right way round.
  const footSide = rng.chance(0.5) ? 1 : -1;
  for (const { chain, arm, isLeft } of LIMBS) {
    const [a, b, c] = chain;
    const limbZ = z(chain);
    const [r0, r1] = arm ? RADII.upperArm : RADII.thigh;
    const [r2, r3] = arm ? RADII.forearm : RADII.shin;
    // The side colour code paints the whole limb, hand and foot included.
    const sidePaint = look.sides && (isLeft ? look.sides.left : look.sides.right);
    const upperPaint = sidePaint ??
      (arm ? (look.sleeves === "none" ? look.skin : look.top) : look.bottom);
    const lowerPaint = sidePaint ??
      (arm
        ? (look.sleeves === "long" ? look.top : look.skin)
        : (look.trousers === "long" ? look.bottom : look.skin));
    parts.push({
      shape: new Capsule(x(a), y(a), r0 * w, x(b), y(b), r1 * w, upperPaint),
      joints: [a, b],
      depth: limbZ,
    });
    parts.push({
      shape: new Capsule(x(b), y(b), r2 * w, x(c), y(c), r3 * w, lowerPaint),
      joints: [b, c],
      depth: limbZ + 1e-4,
    });
    const dx = x(c) - x(b), dy = y(c) - y(b);
    const n = Math.max(1e-6, Math.hypot(dx, dy));
    if (arm) {
      const r = RADII.hand * w;
      parts.push({
        shape: new Ellipse(
          x(c) + (dx / n) * r,
          y(c) + (dy / n) * r,
          r * 1.4,
          r,
          Math.atan2(dy, dx),
          sidePaint ?? look.skin,
        ),
        joints: [c],
        depth: limbZ + 2e-4,
      });
    } else {
      // Feet point sideways from the shin, the same way for both feet.
      const len = 0.08 * box;
      const fx = (-dy / n) * footSide, fy = (dx / n) * footSide;
      parts.push({
        shape: new Capsule(
          x(c),
          y(c),
          RADII.foot * w,
          x(c) + fx * len,
          y(c) + fy * len,
          RADII.foot * w * 0.8,
          sidePaint ?? look.shoes,
          0.3,
        ),
        joints: [c],
        depth: limbZ + 2e-4,
      });
    }
  }
  return parts.sort((p, q) => p.depth - q.depth);
}

/**
 * Eyes and a mouth on a head facing the camera, placed along the chin-to-crown axis (eyes a
 * little above the middle, a mouth near the chin), drawn just in front of the head.
 */
function faceParts(xy: Float64Array, headLen: number, headZ: number): BodyPart[] {
  const cx = xy[2 * J.upper_neck]!, cy = xy[2 * J.upper_neck + 1]!;
  const ax = (xy[2 * J.head_top]! - cx) / headLen, ay = (xy[2 * J.head_top + 1]! - cy) / headLen;
  const at = (along: number, across: number): [number, number] => [
    cx + headLen * (along * ax - across * ay),
    cy + headLen * (along * ay + across * ax),
  ];
  const angle = Math.atan2(ay, ax);
  const eye = Math.max(0.6, 0.075 * headLen);
  const joints = [J.upper_neck, J.head_top];
  const parts: BodyPart[] = [-1, 1].map((side) => {
    const [ex, ey] = at(0.55, side * 0.17);
    return {
      shape: new Ellipse(ex, ey, eye, eye, angle, solidPaint(EYE_COLOR), 0),
      joints,
      depth: headZ + 1e-5,
    };
  });
  const [mx, my] = at(0.24, 0);
  parts.push({
    shape: new Ellipse(
      mx,
      my,
      0.05 * headLen + 0.3,
      0.13 * headLen,
      angle,
      solidPaint(MOUTH_COLOR),
      0,
    ),
    joints,
    depth: headZ + 1e-5,
  });
  return parts;
}
