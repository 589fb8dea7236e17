import { assertEquals, assertThrows } from "@std/assert";
import { KitError } from "../../lib/io/errors.ts";
import {
  ABLATION_STEPS,
  ablationExperiment,
  ablationStepOf,
  keStageEpochs,
} from "../../lib/train/ablation.ts";
import { type ExperimentConfig, resolveExperiment } from "../../lib/train/config.ts";

const base: ExperimentConfig = resolveExperiment({
  name: "abl",
  data: { inputSize: 64, pyramidFactors: [1], synth: { trainSize: 40, valSize: 8 } },
  model: { kind: "hourglass", inputSize: 64, stacks: 1, features: 8, depth: 4 },
  schedule: {
    batchSize: 4,
    stepsPerEpoch: 2,
    lr: { kind: "constant" },
    stages: [{ name: "main", epochs: 2 }, { name: "tune", epochs: 2 }],
  },
});

Deno.test("every ablation step's config is recognised as that step", () => {
  for (const step of ABLATION_STEPS) {
    const cfg = ablationExperiment(base, step.id);
    assertEquals(ablationStepOf(cfg), step.id);
    assertEquals(cfg.name, `abl-${step.id}`);
  }
  const msr = ablationExperiment(base, "msr");
  assertEquals(msr.model.kind, "mss-msr");
  if (msr.model.kind === "mss-msr") {
    assertEquals(msr.model.factors, [1, 2, 4, 8]);
    assertEquals(msr.model.msr.features, 8);
  }
  assertEquals(msr.data.pyramidFactors, [1, 2, 4, 8]);
  // Masking only in the last stage, as Ke fine-tunes with it.
  assertEquals(ablationExperiment(base, "masking").schedule.stages.map((s) => s.masking), [
    false,
    false,
    true,
  ]);
  assertEquals(ablationExperiment(base, "structure").loss.structure, "all");
  assertEquals(ablationExperiment(base, "mss").loss.structure, "none");
});

Deno.test("the rows with an MSR-net follow Ke's staging: MSS-net, MSR-net frozen-MSS, joint", () => {
  assertEquals(keStageEpochs(300), [150, 75, 75]);
  assertEquals(keStageEpochs(10), [5, 2, 3]);
  assertEquals([3, 4, 5, 7].map(keStageEpochs), [[1, 1, 1], [2, 1, 1], [3, 1, 1], [4, 1, 2]]);
  assertThrows(() => keStageEpochs(2), KitError, "at least 3 epochs");
  for (const id of ["msr", "structure", "masking"] as const) {
    const stages = ablationExperiment(base, id).schedule.stages;
    assertEquals(
      stages.map((s) => [s.epochs, s.trains, s.msrLoss]),
      [[2, "all", false], [1, "msr-only", true], [1, "all", true]],
      id,
    );
  }
  for (const id of ["hourglass", "mss"] as const) {
    const stages = ablationExperiment(base, id).schedule.stages;
    assertEquals(stages.map((s) => [s.epochs, s.trains, s.masking]), [[4, "all", false]], id);
  }
});

Deno.test("configs outside the ablation are recognised as none of its steps", () => {
  const mssh = resolveExperiment({ model: { kind: "mssh" } });
  assertEquals(ablationStepOf(mssh), null);
  const adaptive = resolveExperiment({ model: { kind: "mss" }, loss: { adaptive: true } });
  assertEquals(ablationStepOf(adaptive), null);
  const hgEq2 = resolveExperiment({ model: { kind: "hourglass" }, loss: { structure: "all" } });
  assertEquals(ablationStepOf(hgEq2), null);
});
