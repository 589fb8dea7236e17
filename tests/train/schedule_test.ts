import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  heatmapSourceAt,
  isNewBest,
  learningRate,
  type LrSchedule,
  plateauLr,
  type Stage,
  stageAt,
  stageLearningRate,
  stageStartEpoch,
  stepLr,
  totalEpochs,
} from "../../lib/train/schedule.ts";

const base: LrSchedule = {
  kind: "constant",
  milestones: [],
  gamma: 0.1,
  patience: 8,
  factor: 0.2,
  minLr: 0,
};

Deno.test("step decay multiplies by gamma at each milestone reached", () => {
  assertEquals(stepLr(1, 0, [2, 4], 0.1), 1);
  assertAlmostEquals(stepLr(1, 2, [2, 4], 0.1), 0.1, 1e-12);
  assertAlmostEquals(stepLr(1, 5, [2, 4], 0.1), 0.01, 1e-12);
});

Deno.test("plateau divides by 5 after patience epochs without improvement, then counts again", () => {
  const o = { patience: 2, factor: 0.2, minLr: 0 };
  assertEquals(plateauLr(1, [50, 51, 52], o), 1);
  assertAlmostEquals(plateauLr(1, [50, 51, 51, 50], o), 0.2, 1e-12);
  // Two more flat epochs after the reduction: another one.
  assertAlmostEquals(plateauLr(1, [50, 51, 51, 50, 49, 48], o), 0.04, 1e-12);
  // An improvement resets the count.
  assertAlmostEquals(plateauLr(1, [50, 49, 52, 51], o), 1, 1e-12);
  assertEquals(plateauLr(1, [5, 4, 3, 2, 1], { ...o, minLr: 0.5 }), 0.5);
});

Deno.test("learningRate reads only the scores of epochs before the one asked", () => {
  const plateau: LrSchedule = { ...base, kind: "plateau", patience: 1 };
  assertEquals(learningRate(1, plateau, 1, [10, 9, 8]), 1);
  assertAlmostEquals(learningRate(1, plateau, 2, [10, 9, 8]), 0.2, 1e-12);
  assertEquals(learningRate(2, base, 7, []), 2);
  assertAlmostEquals(
    learningRate(1, { ...base, kind: "step", milestones: [1] }, 3, []),
    0.1,
    1e-12,
  );
});

Deno.test("epochs map onto Ke's three stages and the last stage continues", () => {
  const stages: Stage[] = [
    { name: "mss", epochs: 2, trains: "all", masking: false, lrScale: 1, msrLoss: true },
    { name: "msr", epochs: 1, trains: "msr-only", masking: false, lrScale: 1, msrLoss: true },
    { name: "joint", epochs: 2, trains: "all", masking: true, lrScale: 0.5, msrLoss: true },
  ];
  assertEquals(totalEpochs(stages), 5);
  assertEquals(stageAt(stages, 0).stage.name, "mss");
  assertEquals(stageAt(stages, 2), { index: 1, stage: stages[1]!, epochInStage: 0 });
  assertEquals(stageAt(stages, 4).epochInStage, 1);
  assertEquals(stageAt(stages, 9).stage.name, "joint");
  assertThrows(() => stageAt([], 0), Error, "at least one stage");
});

Deno.test("validation reads the last stack until a stage with the MSR-net's loss begins", () => {
  const stage = (name: string, epochs: number, msrLoss: boolean): Stage => ({
    name,
    epochs,
    trains: "all",
    masking: false,
    lrScale: 1,
    msrLoss,
  });
  const ke = [stage("mss", 2, false), stage("msr", 1, true), stage("joint", 1, true)];
  assertEquals([0, 1, 2, 3, 9].map((e) => heatmapSourceAt(ke, e)), [
    "stacks",
    "stacks",
    "final",
    "final",
    "final",
  ]);
  assertEquals(heatmapSourceAt(ke, -1), "stacks"); // no step taken yet
  assertEquals(heatmapSourceAt([stage("main", 3, true)], 0), "final");
});

Deno.test("each of Ke's stages starts from its own rate with its own plateau state", () => {
  const stage = (name: string, epochs: number, lrScale = 1): Stage => ({
    name,
    epochs,
    trains: "all",
    masking: false,
    lrScale,
    msrLoss: true,
  });
  // Ke §IV-A.1 at a scale a test can write out: patience 2, divide by 5.
  const stages = [stage("mss", 4), stage("msr", 5), stage("joint", 3, 0.5)];
  const plateau: LrSchedule = { ...base, kind: "plateau", patience: 2 };
  assertEquals(stageStartEpoch(stages, 0), 0);
  assertEquals(stageStartEpoch(stages, 2), 9);
  // Stage 1 (last-stack output, ~70) stalls after epoch 0: divided by 5 from epoch 3.
  const history = [70, 69, 68, 67, 40, 41, 39, 38, 37, 42].map((score, epoch) => ({
    epoch,
    score,
  }));
  const lr = (epoch: number) => stageLearningRate(5e-4, plateau, stages, epoch, history);
  assertAlmostEquals(lr(3), 1e-4, 1e-15);
  // Stage 2 (MSR-net output, ~40) starts at 5e-4 again: stage 1's best (70) and drop do not
  // carry over; its own best is 41 (epoch 5), and two epochs below it divide the rate once.
  assertAlmostEquals(lr(4), 5e-4, 1e-15);
  assertAlmostEquals(lr(7), 5e-4, 1e-15);
  assertAlmostEquals(lr(8), 1e-4, 1e-15);
  // Stage 3 starts from its own rate, 5e-4 x 0.5, not from stage 2's divided one.
  assertAlmostEquals(lr(9), 2.5e-4, 1e-15);
  // The replayed reading (every score since epoch 0, compared with stage 1's best) had divided
  // stage 2's rate three times by epoch 7.
  assertAlmostEquals(learningRate(5e-4, plateau, 7, history.map((h) => h.score)), 4e-6, 1e-15);
});

Deno.test("a stage's plateau drop counts only that stage's validations", () => {
  const stages: Stage[] = [
    { name: "a", epochs: 2, trains: "all", masking: false, lrScale: 1, msrLoss: true },
    { name: "b", epochs: 4, trains: "all", masking: false, lrScale: 1, msrLoss: true },
  ];
  const plateau: LrSchedule = { ...base, kind: "plateau", patience: 2 };
  // Stage b: 30 (best), 29, 28 -> two epochs without improvement: divided by 5 at epoch 5.
  const history = [90, 95, 30, 29, 28].map((score, epoch) => ({ epoch, score }));
  assertEquals(stageLearningRate(1, plateau, stages, 4, history), 1);
  assertAlmostEquals(stageLearningRate(1, plateau, stages, 5, history), 0.2, 1e-12);
  // A step schedule is a timetable of the whole run: milestone 3 is run epoch 3.
  const step: LrSchedule = { ...base, kind: "step", milestones: [3], gamma: 0.1 };
  assertEquals(stageLearningRate(1, step, stages, 2, []), 1);
  assertAlmostEquals(stageLearningRate(1, step, stages, 3, []), 0.1, 1e-12);
});

Deno.test("the best checkpoint is chosen among validations of the same output", () => {
  assertEquals(isNewBest(null, { score: 10, source: "stacks" }), true);
  assertEquals(isNewBest({ score: 70, source: "stacks" }, { score: 40, source: "final" }), true);
  assertEquals(isNewBest({ score: 40, source: "final" }, { score: 39, source: "final" }), false);
  assertEquals(isNewBest({ score: 40, source: "final" }, { score: 41, source: "final" }), true);
});
