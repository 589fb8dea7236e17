import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend/select.ts";
import { probeAdapter } from "../../lib/backend/webgpu.ts";
import { resolveExperiment } from "../../lib/train/config.ts";
import { train } from "../../lib/train/loop.ts";

// WebGPU is the kit's GPU path. Without a GPU, Deno's software adapter (llvmpipe) still runs it,
// slowly: enough to check that training works there and agrees with the CPU path. The suite's
// second pass (KIT_TEST_BACKEND) would only repeat it.
const adapter = await probeAdapter();
const quiet = { log: () => {}, live: false, progressEverySeconds: 3600 };

Deno.test({
  name: "a tiny run trains on WebGPU with the same losses as on wasm",
  ignore: adapter === undefined || Deno.env.get("KIT_TEST_BACKEND") !== undefined,
}, async () => {
  const cfg = resolveExperiment({
    name: "tiny-webgpu",
    data: { inputSize: 32, pyramidFactors: [1], workers: 0, synth: { trainSize: 12, valSize: 4 } },
    model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
    optimizer: { name: "rmsprop", lr: 1e-3 },
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 3,
      lr: { kind: "constant" },
      stages: [{ name: "main", epochs: 1 }],
    },
    eval: { batchSize: 4 },
    output: { logEvery: 1 },
  });
  const runs: (readonly number[])[] = [];
  for (const backend of ["wasm", "webgpu"] as const) {
    await initBackend(backend, () => {});
    assertEquals(tf.getBackend(), backend);
    const runDir = await Deno.makeTempDir();
    const r = await train(cfg, { runDir, ...quiet });
    r.model.model.dispose();
    await Deno.remove(runDir, { recursive: true });
    runs.push(r.losses);
  }
  await initBackend("cpu", () => {});
  const [wasm, webgpu] = runs as [readonly number[], readonly number[]];
  assertEquals(webgpu.length, 3);
  webgpu.forEach((loss, i) => {
    const rel = Math.abs(loss - wasm[i]!) / Math.abs(wasm[i]!);
    assert(Number.isFinite(loss) && rel < 1e-3, `step ${i + 1}: webgpu ${loss}, wasm ${wasm[i]}`);
  });
});
