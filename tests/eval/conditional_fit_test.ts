import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import {
  conditionalEstimate,
  conditionalEvaluation,
  fitTauC,
  fitTauS,
  jointCorrect,
  roundPerturbation,
} from "../../lib/eval/mod.ts";
import type { PoseDataset, PoseSample } from "../../lib/data/types.ts";
import type { Keypoint } from "../../lib/skeleton/mod.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { blobImage, blobModel } from "./fakes.ts";

await useTestBackend();

const J = 16;

Deno.test("τc separates a joint's wrong first-pass predictions from its right ones (Youden's J)", () => {
  // Joint 0: right at .9 and .8, wrong at .2 and .1: conf < .8 catches both wrong ones and no
  // right one (J = 1). Joint 1 is never wrong: τc 0, it never triggers a retrial.
  // Joint 2: wrong at .6, right at .7 and .5: t = .6 catches nothing wrong... t = .7 catches the
  // wrong one and one right one (J = 1 - 1/2 = .5), the best.
  const conf = [0.9, 0.5, 0.7, 0.8, 0.6, 0.5, 0.2, 0.4, 0.6, 0.1, 0.3, NaN];
  const correct = [1, 1, 1, 1, 1, 1, 0, 1, 0, 0, 1, NaN];
  assertEquals(fitTauC(conf, correct, 3), [0.8, 0, 0.7]);
});

Deno.test("τs is the trial-score threshold whose fused poses score best on the fit part", () => {
  // One person, 16 joints at (0, 0), head size 10 (PCKh@0.5: within 5 px). First trial: every
  // joint at (100, 0) with confidence .1; a perturbed trial at (0, 0) with .9; another at (50, 0)
  // with .5. τs 0 fuses all three: x = (10 + 0 + 25) / 1.5 = 23.3 (wrong); τs .4 fuses the last
  // two: x = 25 / 1.4 = 17.9 (wrong); τs .6 keeps the .9 trial alone: right.
  const trial = (x: number, c: number) => ({
    coords: Array.from({ length: 2 * J }, (_, k) => (k % 2 === 0 ? x : 0)),
    confidence: new Array(J).fill(c),
  });
  const gt = {
    count: 1,
    numJoints: J,
    coords: new Array(2 * J).fill(0),
    visibility: new Array(J).fill(2),
  };
  const samples = [{ trials: [trial(100, 0.1), trial(0, 0.9), trial(50, 0.5)] }];
  const fit = fitTauS(samples, gt, [10], {
    tauC: new Array(J).fill(0.5),
    alpha: 0.5,
    candidates: [0, 0.4, 0.6],
  });
  assertEquals(fit, { tauS: 0.6, mean: 100 });
  // Above τc no fusion happens: every τs keeps the first (wrong) trial.
  const none = fitTauS(samples, gt, [10], {
    tauC: new Array(J).fill(0.05),
    alpha: 0.5,
    candidates: [0, 0.6],
  });
  assertEquals(none.mean, 0);
  // Never retrying (more low joints than there are) keeps single-trial testing.
  const never = fitTauS(samples, gt, [10], {
    tauC: new Array(J).fill(0.5),
    alpha: 0.5,
    candidates: [0.6],
    minLowJoints: J + 1,
  });
  assertEquals(never.mean, 0);
  const right = jointCorrect(gt, trial(3, 1).coords, [10], 0.5);
  assertEquals(Array.from(right), new Array(J).fill(1));
});

Deno.test("each round looks further: shifts times the round, scale to its power", () => {
  const p = roundPerturbation({ dx: 0.1, dy: -0.05, scale: 0.85 }, 2);
  assertAlmostEquals(p.dx, 0.2, 1e-12);
  assertAlmostEquals(p.dy, -0.1, 1e-12);
  assertAlmostEquals(p.scale, 0.7225, 1e-12);
});

Deno.test("a person the first round cannot reach is found by a second, further round", async () => {
  // Box side 80 px (200 x 0.32 x 1.25) around x 40; the blob is at x 118. Round 1 moves the box
  // 40 px (x 40..120): the blob sits on its edge and the fused pose stays off it (asserted
  // below); round 2 moves it 80 px (x 80..160), around the blob.
  const requests = [{ image: blobImage(160, 80, 118, 40), center: [40, 34] as const, scale: 0.32 }];
  const options = {
    size: 64,
    stride: 2,
    batchSize: 4,
    tauC: 0.2,
    tauS: 0.3,
    perturbations: [{ dx: 0.5, dy: 0, scale: 1 }],
  };
  const one = await conditionalEstimate(blobModel(2), requests, { ...options, rounds: 1 });
  const two = await conditionalEstimate(blobModel(2), requests, { ...options, rounds: 2 });
  assertEquals([one.rounds, two.rounds], [[1], [2]]);
  assert(Math.abs(two.coords[0]! - 118) < 2.5, `round 2 found x ${two.coords[0]}`);
  assert(Math.abs(one.coords[0]! - 118) > 2.5, `round 1 already found x ${one.coords[0]}`);
  assertEquals(Array.from(two.single.coords), Array.from(one.single.coords));
});

/** People whose box holds their blob (odd) or misses it by 60 px (even), 16 joints on the blob. */
function blobDataset(n: number): PoseDataset {
  const sample = (i: number): PoseSample => {
    const bx = i % 2 === 0 ? 100 : 70;
    const keypoints: Keypoint[] = Array.from({ length: J }, () => [bx, 40, 2]);
    return {
      id: `p${i}`,
      image: blobImage(140, 80, bx, 40),
      keypoints,
      center: [i % 2 === 0 ? 40 : 70, 34],
      scale: 0.32,
      headBox: [0, 0, 12, 12],
    };
  };
  return { name: "blobs", length: n, get: (i) => Promise.resolve(sample(i)) };
}

Deno.test("conditional testing end to end: fit on half of validation, score the other half", async () => {
  const report = await conditionalEvaluation(blobModel(2), blobDataset(8), {
    size: 64,
    stride: 2,
    batchSize: 4,
    chunk: 3,
    perturbations: [{ dx: 0.5, dy: 0, scale: 1 }, { dx: -0.5, dy: 0, scale: 1 }],
  });
  assertEquals([report.fitPeople, report.scoredPeople], [4, 4]);
  // Half the scored people's boxes miss their blob: single-trial PCKh 50, conditional 100, and
  // exactly those two retried.
  assertEquals(report.without.mean, 50);
  assertEquals(report.with.mean, 100);
  assertEquals([report.retried, report.retrialFraction], [2, 0.5]);
  // All 16 joints of a missed person are low: the fewest-retrials rule that wins is "16 low".
  assertEquals(report.minLowJoints, 16);
  assertEquals(report.tauC.length, J);
  assert(report.tauC.every((t) => t > 0), `${report.tauC}`);
});
