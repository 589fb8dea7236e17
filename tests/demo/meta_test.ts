import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { demoMeta } from "../../lib/demo/server.ts";
import { predictHeatmaps } from "../../lib/models/build.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { saveCheckpoint, type TrainState } from "../../lib/train/checkpoint.ts";
import { resolveExperiment } from "../../lib/train/config.ts";
import { loadTrained } from "../../lib/train/load.ts";
import { buildModel } from "../../lib/models/build.ts";

await useTestBackend();

const MSS_MSR = {
  kind: "mss-msr",
  inputSize: 32,
  stacks: 2,
  features: 8,
  depth: 2,
  factors: [1, 2],
  msr: { features: 8, depth: 2, factors: [1, 2] },
};
const STAGES = [
  { name: "mss", epochs: 1, trains: "all", msrLoss: false },
  { name: "msr", epochs: 1, trains: "msr-only" },
];

/** Saves a seeded, untrained checkpoint whose state says `epoch` epochs are done. */
async function checkpoint(model: Record<string, unknown>, epoch: number): Promise<string> {
  const run = await Deno.makeTempDir({ prefix: "posekit-demo-meta-" });
  const config = resolveExperiment({
    data: { inputSize: 32, pyramidFactors: model.kind === "hourglass" ? [1] : [1, 2] },
    model,
    schedule: { stepsPerEpoch: 1, ...(model.kind === "hourglass" ? {} : { stages: STAGES }) },
  });
  const net = buildModel(config.model, { seed: 3 });
  const state: TrainState = {
    step: epoch,
    epoch,
    batchInEpoch: 0,
    scores: [],
    bestScore: null,
    bestStep: null,
  };
  try {
    await saveCheckpoint(run, {
      model: net.graph,
      config: config as unknown as Record<string, never>,
      state,
      isBest: true,
    });
  } finally {
    net.graph.dispose();
  }
  return run;
}

/** The page's output (the saved graph's output `outputIndex`) equals predict's heatmaps. */
async function assertPageOutputIsPredicts(run: string, expectedIndex: number): Promise<void> {
  const { meta } = await demoMeta(run);
  assertEquals(meta.outputIndex, expectedIndex);
  const { net, heatmaps } = await loadTrained(run);
  const x = tf.randomUniform([1, 32, 32, 3], 0, 1, "float32", 5) as tf.Tensor4D;
  try {
    const want = predictHeatmaps(net, x, heatmaps);
    const outs = net.graph.predict(x) as tf.Tensor[];
    const got = outs[meta.outputIndex]!;
    assertEquals(got.shape, want.shape);
    const diff = tf.tidy(() => got.sub(want).abs().max().dataSync()[0]!);
    assert(diff < 1e-5, `output ${meta.outputIndex} differs from predict's heatmaps by ${diff}`);
    tf.dispose([want, ...outs]);
  } finally {
    x.dispose();
    net.graph.dispose();
    await Deno.remove(run, { recursive: true });
  }
}

Deno.test("the demo reads a stacked hourglass's last stack, as predict does", async () => {
  const run = await checkpoint({
    kind: "hourglass",
    inputSize: 32,
    stacks: 2,
    features: 8,
    depth: 2,
  }, 1);
  await assertPageOutputIsPredicts(run, 1);
});

Deno.test("the demo reads MSS's last stack before the MSR-net trained, the MSR-net after", async () => {
  // Outputs: stack 1 at factors 1, 2; stack 2 at factors 1, 2; the MSR-net at factors 1, 2.
  await assertPageOutputIsPredicts(await checkpoint(MSS_MSR, 1), 2);
  await assertPageOutputIsPredicts(await checkpoint(MSS_MSR, 2), 4);
});
