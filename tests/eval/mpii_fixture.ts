/**
 * A four-person MPII evaluation fixture, written by the tests in both ground-truth layouts.
 *
 * Head boxes [0, 0, 30, 40]: diagonal 50, head size 30, so alpha 0.5 is 15 px.
 * - person 0: predicted exactly;
 * - person 1: every joint 20 px off (0.67 head sizes): all miss;
 * - person 2: every joint exactly 15 px off (0.5): a miss under bearpaw (<), a hit under official (<=);
 * - person 3: ankles not annotated (and predicted far away), every other joint exact.
 *
 * Worked out by hand, bearpaw: ankles 1/3 = 33.33, every other joint 2/4 = 50; Mean (14 joints)
 * (2 x 33.33 + 12 x 50) / 14 = 47.62; weighted 26 / 54 = 48.15. Official: ankles 2/3 = 66.67,
 * others 3/4 = 75; Total 40 / 54 = 74.07.
 */

import { join } from "@std/path";
import { writeH5, writeMat } from "../../lib/io/mod.ts";
import { J } from "../../lib/skeleton/mod.ts";

export const N = 4;
const ANKLES = [J.l_ankle, J.r_ankle];

/** `[N, 16, 2]` ground truth: joint j of person i at (100 + 10 j, 50 + 100 i). */
export function gtCoords(): Float64Array {
  const out = new Float64Array(N * 16 * 2);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < 16; j++) {
      out[(i * 16 + j) * 2] = 100 + 10 * j;
      out[(i * 16 + j) * 2 + 1] = 50 + 100 * i;
    }
  }
  return out;
}

/** `[N, 16]` 1 where the joint is not annotated. */
export function missing(): Float64Array {
  const out = new Float64Array(N * 16);
  for (const j of ANKLES) out[3 * 16 + j] = 1;
  return out;
}

/** The predictions described above, `[N, 16, 2]`. */
export function predictions(): Float64Array {
  const p = gtCoords();
  for (let j = 0; j < 16; j++) {
    p[(1 * 16 + j) * 2]! += 20;
    p[(2 * 16 + j) * 2 + 1]! += 15;
  }
  for (const j of ANKLES) p[(3 * 16 + j) * 2]! += 500;
  return p;
}

/** `[16, 2, N]` from `[N, 16, 2]`, as the MATLAB layout stores it. */
export function toMatlabLayout(a: Float64Array, n = N): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 16; j++) {
      for (let c = 0; c < 2; c++) out[(j * 2 + c) * n + i] = a[(i * 16 + j) * 2 + c]!;
    }
  }
  return out;
}

/** Head boxes `[2, 2, N]` (corner, xy, person), all [0, 0, 30, 40], or with `heads` per person. */
export function headboxes(diagonals: readonly number[] = new Array(N).fill(50)): Float64Array {
  const out = new Float64Array(2 * 2 * N);
  diagonals.forEach((d, i) => {
    // Corner 1 at (0, 0); corner 2 at (0.6 d, 0.8 d): diagonal d.
    out[(1 * 2 + 0) * N + i] = 0.6 * d;
    out[(1 * 2 + 1) * N + i] = 0.8 * d;
  });
  return out;
}

/** Writes the ground truth as an MPII evaluation .mat; `omit` leaves a field out. */
export async function writeGtMat(
  dir: string,
  options: { omit?: string; diagonals?: number[]; name?: string } = {},
): Promise<string> {
  const path = join(dir, options.name ?? "gt.mat");
  const miss = missing();
  const vars: Record<string, { shape: number[]; data: Float64Array }> = {
    pos_gt_src: { shape: [16, 2, N], data: toMatlabLayout(gtCoords()) },
    jnt_missing: {
      shape: [16, N],
      data: Float64Array.from(
        { length: 16 * N },
        (_, k) => miss[(k % N) * 16 + Math.floor(k / N)]!, // [j, i] at j * N + i
      ),
    },
    headboxes_src: { shape: [2, 2, N], data: headboxes(options.diagonals) },
  };
  if (options.omit) delete vars[options.omit];
  await writeMat(path, vars);
  return path;
}

/** Writes the ground truth in pose-hg-train's valid.h5 layout (missing joints at (0, 0)). */
export async function writeGtH5(dir: string): Promise<string> {
  const path = join(dir, "valid.h5");
  const part = gtCoords();
  const miss = missing();
  for (let k = 0; k < N * 16; k++) if (miss[k]) part[2 * k] = part[2 * k + 1] = 0;
  // Person 0's wrists occluded.
  const visible = Float64Array.from(miss, (m) => 1 - m);
  visible[J.l_wrist] = visible[J.r_wrist] = 0;
  await writeH5(path, {
    part: { shape: [N, 16, 2], data: part },
    normalize: { shape: [N], data: new Float64Array(N).fill(30) },
    visible: { shape: [N, 16], data: visible },
  });
  return path;
}
