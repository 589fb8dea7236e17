/**
 * Where a pipeline's samples are prepared (load or render, augmentation draw, joints, masking
 * plan, target heatmaps): on this thread ({@link InlineSource}) or in web workers
 * ({@link WorkerSource}), which the pipeline keeps busy evenly.
 *
 * @module
 */

import type { DataConfig } from "./config.ts";
import type { Split } from "./open.ts";
import { type PreparedSample, type PrepareJob, prepareSample } from "./prepare.ts";
import type { PoseDataset } from "./types.ts";
import { fromWorkerError, type WorkerReply, type WorkerRequest } from "./worker_protocol.ts";

/**
 * Where samples are prepared: on this thread or in workers.
 *
 * @example
 * ```ts
 * const source: SampleSource = new InlineSource(dataset, cfg);
 * ```
 */
export interface SampleSource {
  prepare(job: PrepareJob): Promise<PreparedSample>;
  close(): void;
}

/**
 * Prepares samples on this thread, from a dataset object (any PoseDataset, including ones built
 * in code).
 *
 * @example
 * ```ts
 * const source = new InlineSource(dataset, cfg);
 * const prepared = await source.prepare({ index: 0, seed: 1, train: false, crop: dataset.crop });
 * ```
 */
export class InlineSource implements SampleSource {
  constructor(readonly dataset: PoseDataset, readonly config: DataConfig) {}

  async prepare(job: PrepareJob): Promise<PreparedSample> {
    const sample = await this.dataset.get(job.index);
    return prepareSample(sample, this.config, job);
  }

  close(): void {}
}

interface Pending {
  resolve(p: PreparedSample): void;
  reject(e: Error): void;
}

/**
 * Prepares samples in `count` web workers, each opening its own copy of the configured split;
 * await `ready` before use and `close` it when done.
 *
 * @example
 * ```ts
 * const source = new WorkerSource(cfg.data, "train", 2);
 * await source.ready;
 * ```
 */
export class WorkerSource implements SampleSource {
  readonly #workers: { worker: Worker; busy: number; pending: Map<number, Pending> }[] = [];
  #nextId = 0;
  #dead: Error | undefined;
  readonly ready: Promise<void>;

  constructor(config: DataConfig, split: Split, count: number) {
    const inits: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
      const slot = { worker, busy: 0, pending: new Map<number, Pending>() };
      this.#workers.push(slot);
      inits.push(
        new Promise<void>((resolve, reject) => {
          worker.onmessage = (e: MessageEvent<WorkerReply>) => {
            const msg = e.data;
            if (msg.type === "ready") return resolve();
            if (msg.type === "failed" && msg.id === -1) {
              const err = fromWorkerError(msg.error);
              this.#fail(err);
              return reject(err);
            }
            const p = slot.pending.get(msg.id);
            if (!p) return;
            slot.pending.delete(msg.id);
            slot.busy--;
            if (msg.type === "done") p.resolve(msg.prepared as PreparedSample);
            else p.reject(fromWorkerError(msg.error));
          };
          worker.onerror = (e: ErrorEvent) => {
            e.preventDefault();
            const err = new Error(`a data worker crashed: ${e.message}`);
            this.#fail(err);
            reject(err);
          };
        }),
      );
      const init: WorkerRequest = { type: "init", config, split };
      worker.postMessage(init);
    }
    this.ready = Promise.all(inits).then(() => {});
    this.ready.catch(() => {});
  }

  #fail(err: Error): void {
    this.#dead ??= err;
    for (const slot of this.#workers) {
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      slot.busy = 0;
    }
  }

  async prepare(job: PrepareJob): Promise<PreparedSample> {
    await this.ready;
    if (this.#dead) throw this.#dead;
    const slot = this.#workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.#nextId++;
    slot.busy++;
    return await new Promise<PreparedSample>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      const req: WorkerRequest = { type: "prepare", id, job };
      slot.worker.postMessage(req);
    });
  }

  close(): void {
    this.#fail(new Error("the pipeline was closed"));
    for (const slot of this.#workers) slot.worker.terminate();
  }
}
