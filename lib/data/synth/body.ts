/**
 * A SynthPose person: clothing and skin, and the shapes of the body (torso, neck, head with hair,
 * tapered limbs, hands, feet) laid over a pose. Left and right limbs wear the same clothes, so
 * colour never tells them apart; only the body's structure does.
 *
 * @module
 */

import type { Random } from "../../random/random.ts";
import { J } from "../../skeleton/mpii.ts";
import {
  hairColor,
  type Paint,
  randomColor,
  randomPaint,
  shade,
  skinColor,
  solidPaint,
} from "./paint.ts";
import { Capsule, Ellipse, Polygon, type Shape } from "./raster.ts";

/** How one person looks. */
export interface Appearance {
  readonly skin: Paint;
  readonly top: Paint;
  readonly sleeves: "long" | "short" | "none";
  readonly bottom: Paint;
  readonly trousers: "long" | "short";
  readonly shoes: Paint;
  /** Hair paint and where it starts along the head axis (-1 chin .. 1 crown), or null (bald). */
  readonly hair: { readonly paint: Paint; readonly from: number } | null;
  /** Width multiplier: slim < 1 < stocky. */
  readonly build: number;
}

/**
 * A random appearance; `px` is the person box in pixels (texture periods scale with it).
 *
 * @example
 * ```ts
 * const look = randomAppearance(rng, 180);
 * ```
 */
export function randomAppearance(rng: Random, px: number): Appearance {
  const grain = px / 25;
  const skinC = skinColor(rng);
  const topC = randomColor(rng);
  const bottomC = randomColor(rng);
  return {
    skin: randomPaint(rng, skinC, shade(skinC, 0.85), grain, { solid: 0.85 }),
    top: randomPaint(rng, topC, rng.chance(0.5) ? randomColor(rng) : shade(topC, 0.6), grain),
    sleeves: rng.chance(0.45) ? "long" : rng.chance(0.7) ? "short" : "none",
    bottom: randomPaint(
      rng,
      bottomC,
      rng.chance(0.3) ? randomColor(rng) : shade(bottomC, 0.7),
      grain,
      { solid: 0.6 },
    ),
    trousers: rng.chance(0.65) ? "long" : "short",
    shoes: solidPaint(rng.chance(0.6) ? shade(randomColor(rng), 0.4) : randomColor(rng)),
    hair: rng.chance(0.88)
      ? {
        paint: randomPaint(rng, hairColor(rng), hairColor(rng), grain / 2, { solid: 0.7 }),
        from: rng.uniform(-0.3, 0.5),
      }
      : null,
    build: Math.exp(rng.normal(0, 0.15)),
  };
}

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
  { chain: [J.r_shoulder, J.r_elbow, J.r_wrist], arm: true },
  { chain: [J.l_shoulder, J.l_elbow, J.l_wrist], arm: true },
  { chain: [J.r_hip, J.r_knee, J.r_ankle], arm: false },
  { chain: [J.l_hip, J.l_knee, J.l_ankle], arm: false },
] as const;

const TORSO_JOINTS = [J.pelvis, J.thorax, J.r_hip, J.l_hip, J.r_shoulder, J.l_shoulder];

/**
 * The parts of a person posed at `xy` (image px, `[x0, y0, ...]`) with joint depths `depth`,
 * for a person box of `box` px, sorted far to near (draw in this order).
 *
 * @example
 * ```ts
 * for (const part of bodyParts(xy, depth, 180, look, rng)) part.shape.draw(canvas);
 * ```
 */
export function bodyParts(
  xy: Float64Array,
  depth: Float64Array,
  box: number,
  look: Appearance,
  rng: Random,
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
  parts.push({
    shape: new Ellipse(
      x(J.upper_neck) + hx / 2,
      y(J.upper_neck) + hy / 2,
      headLen * 0.52,
      headLen * 0.4 * Math.sqrt(look.build),
      Math.atan2(hy, hx),
      look.skin,
      0.35,
      look.hair ?? undefined,
    ),
    joints: [J.upper_neck, J.head_top],
    depth: headZ,
  });

  // Limbs: upper and lower segment, then hand or foot, each a little nearer than the last so
  // a bent limb overlaps itself the right way round.
  const footSide = rng.chance(0.5) ? 1 : -1;
  for (const { chain, arm } of LIMBS) {
    const [a, b, c] = chain;
    const limbZ = z(chain);
    const [r0, r1] = arm ? RADII.upperArm : RADII.thigh;
    const [r2, r3] = arm ? RADII.forearm : RADII.shin;
    const upperPaint = arm ? (look.sleeves === "none" ? look.skin : look.top) : look.bottom;
    const lowerPaint = arm
      ? (look.sleeves === "long" ? look.top : look.skin)
      : (look.trousers === "long" ? look.bottom : look.skin);
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
          look.skin,
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
          look.shoes,
          0.3,
        ),
        joints: [c],
        depth: limbZ + 2e-4,
      });
    }
  }
  return parts.sort((p, q) => p.depth - q.depth);
}
