/**
 * How a SynthPose person looks: skin, clothing, hair and build, and the side colour code
 * (`synth.sideColors`: right limbs warm, left limbs cool) that `body.ts` paints onto the limbs.
 *
 * @module
 */

import type { Random } from "../../random/random.ts";
import {
  hairColor,
  hsv,
  type Paint,
  randomColor,
  randomPaint,
  shade,
  skinColor,
  solidPaint,
} from "./paint.ts";

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
  /** The side colour code (right limbs warm, left limbs cool), or null (same clothes both sides). */
  readonly sides: { readonly left: Paint; readonly right: Paint } | null;
}

/**
 * Hue ranges (degrees) of the side colour code: warm on the right, cool on the left, the way
 * the kit's figures colour the sides (`SIDE_COLORS` in lib/viz: right orange, left blue), so a
 * drawn skeleton's bones match the limbs they lie on.
 */
export const SIDE_HUES = { left: [190, 240], right: [10, 45] } as const;

/**
 * A random appearance; `px` is the person box in pixels (texture periods scale with it), and
 * `sideColors` the probability that the person wears the side colour code.
 *
 * @example
 * ```ts
 * const look = randomAppearance(rng, 180);
 * look.sides; // null: no side colour code by default
 * ```
 */
export function randomAppearance(rng: Random, px: number, sideColors = 0): Appearance {
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
    sides: sideColors > 0 && rng.chance(sideColors)
      ? {
        left: solidPaint(hsv(rng.uniform(...SIDE_HUES.left), 0.85, rng.uniform(0.7, 0.95))),
        right: solidPaint(hsv(rng.uniform(...SIDE_HUES.right), 0.85, rng.uniform(0.7, 0.95))),
      }
      : null,
  };
}
