/**
 * The pipeline's worker entry point: opens the configured dataset itself (configs are plain
 * JSON, so they cross the thread boundary) and prepares samples on request (`prepare.ts`), so
 * that image decoding, SynthPose rendering and target encoding run on another core than
 * training. Loaded only through `new Worker(...)` by the pipeline.
 *
 * @module
 */

import type { DataConfig } from "./config.ts";
import { openDataset } from "./open.ts";
import { prepareSample } from "./prepare.ts";
import type { PoseDataset } from "./types.ts";
import { toWorkerError, type WorkerReply, type WorkerRequest } from "./worker_protocol.ts";

interface WorkerScope {
  onmessage: ((e: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
let dataset: PoseDataset | undefined;
let config: DataConfig | undefined;

async function handle(req: WorkerRequest): Promise<void> {
  if (req.type === "init") {
    config = req.config;
    dataset = await openDataset(req.config, req.split);
    scope.postMessage({ type: "ready", length: dataset.length });
    return;
  }
  try {
    if (!dataset || !config) throw new Error("data worker used before init");
    const sample = await dataset.get(req.job.index);
    const prepared = prepareSample(sample, config, req.job);
    const buffers = new Set<ArrayBuffer>([
      prepared.image.data.buffer as ArrayBuffer,
      ...prepared.heatmaps.map((h) => h.buffer as ArrayBuffer),
      prepared.weights.buffer as ArrayBuffer,
    ]);
    scope.postMessage({ type: "done", id: req.id, prepared }, [...buffers]);
  } catch (e) {
    scope.postMessage({ type: "failed", id: req.id, error: toWorkerError(e) });
  }
}

scope.onmessage = (e) => {
  // An init failure has no request id: -1 tells the pipeline the worker itself is unusable.
  handle(e.data).catch((err) =>
    scope.postMessage({ type: "failed", id: -1, error: toWorkerError(err) })
  );
};
