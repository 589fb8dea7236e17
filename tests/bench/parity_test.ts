import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { exportWeights, formatParity, importWeights, runParity } from "../../bench/parity.ts";
import { findTorchPython } from "../../bench/torch.ts";
import { buildModel, resolveModelConfig } from "../../lib/models/mod.ts";
import { useTestBackend } from "../../lib/testing/backend.ts";
import { resolveExperiment } from "../../lib/train/config.ts";

const BACKEND_TEST = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "weights exported from a model and imported into another make the same model",
  ...BACKEND_TEST,
  fn: async () => {
    await useTestBackend();
    const cfg = resolveModelConfig({
      kind: "hourglass",
      stacks: 1,
      features: 8,
      depth: 1,
      inputSize: 16,
    });
    const a = buildModel(cfg, { seed: 1 });
    const b = buildModel(cfg, { seed: 2 });
    const { table, values } = await exportWeights(a);
    assertEquals(table[0]!.name, "stem.conv/kernel");
    assertEquals(table[0]!.shape, [7, 7, 3, 64]);
    assert(table.some((e) => e.name.endsWith("/moving_variance")), "BatchNorm statistics travel");
    importWeights(b, table, values);
    assertEquals((await exportWeights(b)).values, values);
    a.model.dispose();
    b.model.dispose();
  },
});

const torch = await findTorchPython();
if ("skipped" in torch) {
  console.log(`tests/bench/parity_test.ts: PyTorch parity skipped: ${torch.skipped}`);
}

Deno.test({
  name: "a tiny hourglass trains to the same losses in the kit and in the PyTorch twin",
  ignore: "skipped" in torch,
  ...BACKEND_TEST,
  fn: async () => {
    await useTestBackend("wasm");
    // 1 stack of 8 features on 32 px crops: a few seconds per side.
    const cfg = resolveExperiment({
      data: {
        dataset: "synth",
        inputSize: 32,
        pyramidFactors: [1],
        workers: 0,
        synth: { trainSize: 64, valSize: 8 },
      },
      model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
      optimizer: { name: "rmsprop", lr: 2.5e-4 },
      schedule: { batchSize: 4, stepsPerEpoch: 4, stages: [{ name: "main", epochs: 1 }] },
    });
    const dir = await Deno.makeTempDir({ prefix: "posekit-parity-test-" });
    try {
      const r = await runParity(cfg, {
        steps: 3,
        python: (torch as { python: string }).python,
        dir,
        floor: false,
      });
      console.log(formatParity(r));
      assertEquals(r.kitLosses.length, 3);
      assert(r.relDiff[0]! <= 1e-4, `step 1 relative loss difference ${r.relDiff[0]}`);
      assert(Math.max(...r.relDiff) <= 1e-3, `relative loss differences ${r.relDiff}`);
      assert(r.maxWeightDiff.value < 1e-3, `weights differ by ${r.maxWeightDiff.value}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
      tf.disposeVariables();
    }
  },
});
