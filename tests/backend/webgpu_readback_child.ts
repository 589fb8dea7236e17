/**
 * The check of webgpu_readback_test.ts, in a process of its own (a process that loaded libEGL
 * for llvmpipe may abort at exit; see lib/backend/webgpu.ts): one epoch of `STEPS` training steps
 * of a tiny hourglass on WebGPU, logged every `LOG_EVERY` steps, counting the host readbacks
 * (the backend's `getBufferData` and `readSync`) and the buffer pool's bytes after each step's
 * report. Prints one JSON line.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { initBackend, probeAdapter, releaseWebGpu } from "../../lib/backend/mod.ts";
import type { Batch, Pipeline } from "../../lib/data/pipeline.ts";
import { buildModel } from "../../lib/models/build.ts";
import { Progress } from "../../lib/progress/progress.ts";
import { NUM_JOINTS } from "../../lib/skeleton/mod.ts";
import { resolveExperiment } from "../../lib/train/config.ts";
import { runEpoch } from "../../lib/train/epoch.ts";
import { RunLog } from "../../lib/train/log.ts";
import { makeOptimizer } from "../../lib/train/optimizer.ts";
import { stepsPerReadback } from "../../lib/train/step.ts";
import { countReadbacks, type WebGpuInternals } from "../../bench/webgpu_host.ts";

/** Steps of the epoch, and the logging interval (the readback interval on webgpu). */
export const STEPS = 12, LOG_EVERY = 5;

async function main(): Promise<void> {
  const found = await probeAdapter({ gl: true });
  if (!found) {
    console.log(JSON.stringify({ adapter: null }));
    Deno.exit(0);
  }
  await initBackend("webgpu", () => {});
  const cfg = resolveExperiment({
    name: "tiny-readback",
    data: { inputSize: 32, pyramidFactors: [1], workers: 0 },
    model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
    optimizer: { name: "rmsprop", lr: 1e-3 },
    schedule: { batchSize: 2, stepsPerEpoch: STEPS, stages: [{ name: "main", epochs: 1 }] },
    output: { logEvery: LOG_EVERY },
  });
  const net = buildModel(cfg.model, { seed: 1 });
  const batchSize = cfg.schedule.batchSize, side = 32 / 4;
  // The same synthetic batch every step (fresh tensors: the epoch frees each batch).
  const pipe = {
    async *epoch(_epoch: number, from = 0): AsyncGenerator<Batch> {
      for (let i = from; i < STEPS; i++) {
        yield tf.tidy(() => ({
          images: tf.randomUniform([batchSize, 32, 32, 3], 0, 1, "float32", 1) as tf.Tensor4D,
          targets: [tf.randomUniform([batchSize, side, side, NUM_JOINTS], 0, 1, "float32", 2)],
          weights: tf.ones([batchSize, NUM_JOINTS]),
          meta: [],
          real: batchSize,
        })) as unknown as Batch;
      }
    },
  } as unknown as Pipeline;

  const backend = tf.backend() as unknown as WebGpuInternals;
  const readbacks = countReadbacks(backend);
  const runDir = await Deno.makeTempDir();
  const reported: { step: number; readbacks: number; poolBytes: number; tensors: number }[] = [];
  const losses: number[] = [];
  let saves = 0;
  const optimizer = makeOptimizer(cfg.optimizer);
  await runEpoch({
    cfg,
    runDir,
    net,
    optimizer,
    pipe,
    stage: cfg.schedule.stages[0]!,
    lr: cfg.optimizer.lr,
    stepsPerEpoch: STEPS,
    runLog: new RunLog(`${runDir}/log.jsonl`),
    progress: new Progress({ total: STEPS, live: false, everyMs: 1e9, write: () => {} }),
    checkpoints: { due: () => false, save: () => Promise.resolve(void saves++) } as never,
    losses,
    onStep: (r) =>
      void reported.push({
        step: r.step,
        readbacks: readbacks.count,
        poolBytes: backend.bufferManager.numBytesAllocated,
        tensors: tf.memory().numTensors,
      }),
  }, { epoch: 0, step: 0, batchInEpoch: 0 } as never);
  readbacks.restore();
  optimizer.dispose();
  net.graph.dispose();
  await Deno.remove(runDir, { recursive: true });
  const perReadback = stepsPerReadback(LOG_EVERY);
  await initBackend("cpu", () => {});
  releaseWebGpu();
  console.log(JSON.stringify({
    adapter: found.report.description,
    perReadback,
    readbacks: readbacks.count,
    losses,
    saves,
    reported,
  }));
}

if (import.meta.main) await main();
