/**
 * The WebGPU checks of webgpu_test.ts, run in a process of their own: on a machine whose only
 * adapter is OpenGL's llvmpipe, a process that loaded libEGL sometimes aborts at exit
 * (lib/backend/webgpu.ts), and that must not take the test runner down with it. Prints one JSON
 * line: what the parent asserts.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { initBackend, probeAdapter, readTensor, releaseWebGpu } from "../../lib/backend/mod.ts";
import { resolveExperiment } from "../../lib/train/config.ts";
import { train } from "../../lib/train/loop.ts";

const found = await probeAdapter({ gl: true });
if (!found) {
  console.log(JSON.stringify({ adapter: null }));
  Deno.exit(0);
}
const lines: string[] = [];
const choice = await initBackend("webgpu", (l) => lines.push(l));
const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])));
const added = Array.from(await readTensor(sum));
sum.dispose();

// A tiny run on wasm and on WebGPU from the same seed.
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
const losses: Record<string, readonly number[]> = {};
for (const backend of ["wasm", "webgpu"] as const) {
  await initBackend(backend, () => {});
  const runDir = await Deno.makeTempDir();
  const r = await train(cfg, { runDir, log: () => {}, live: false, progressEverySeconds: 3600 });
  losses[`${backend}:${tf.getBackend()}`] = r.losses;
  r.model.graph.dispose();
  await Deno.remove(runDir, { recursive: true });
}
await initBackend("cpu", () => {});
releaseWebGpu();
console.log(JSON.stringify({
  adapter: found.report.description,
  backend: choice.backend,
  line: lines[0],
  added,
  released: tf.findBackendFactory("webgpu") === null,
  losses,
}));
