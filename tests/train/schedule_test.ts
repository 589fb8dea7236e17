import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import {
  heatmapSourceAt,
  learningRate,
  type LrSchedule,
  plateauLr,
  type Stage,
  stageAt,
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
    { name: "msr", epochs: 1, trains: "msr", masking: false, lrScale: 1, msrLoss: true },
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
