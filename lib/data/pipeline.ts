/**
 * The batched input pipeline. Each batch is made in two halves: per-sample CPU work (load or
 * render, augmentation draw, joints, masking plan, target heatmaps) in web workers, then one
 * backend pass for the batch (upload, affine warp, patches, colour jitter). The next batches are
 * prepared while the current one trains (`prefetch`).
 *
 * Training mode shuffles each epoch, augments (and masks, when enabled) from a seeded stream:
 * sample `p` of epoch `e` always gets the same augmentation, whatever the number of workers.
 * Its last incomplete batch is dropped. Evaluation mode keeps the dataset order, does not
 * augment, and pads its last batch with copies of the last sample (`meta[i].padded`, weight 0).
 *
 * A sample whose image cannot be loaded is skipped (recorded in `failures`) and replaced by
 * another sample drawn from the same seed, unless `data.onError` is "fail".
 *
 * @module
 */

import { KitError } from "../io/errors.ts";
import { hashSeed, Random } from "../random/random.ts";
import { assembleBatch, type Batch, disposeBatch } from "./assemble.ts";
import type { DataConfig } from "./config.ts";
import { validateDataConfig } from "./config.ts";
import { openDataset, type Split } from "./open.ts";
import type { PreparedSample } from "./prepare.ts";
import { InlineSource, type SampleSource, WorkerSource } from "./sources.ts";
import { type PoseDataset, SampleLoadError } from "./types.ts";

export { type Batch, disposeBatch } from "./assemble.ts";
export type { BatchMeta } from "./prepare.ts";
export type { SampleSource } from "./sources.ts";

/** How a pipeline runs. */
export interface PipelineOptions {
  readonly mode: "train" | "eval";
  readonly batchSize: number;
  /** Seed of shuffling, augmentation and masking (default 1). */
  readonly seed?: number;
  /** Shuffle each epoch (default: in training mode). */
  readonly shuffle?: boolean;
  /** Batches prepared ahead (default `data.prefetch`). */
  readonly prefetch?: number;
  /** Called for every skipped sample. */
  readonly onSkip?: (failure: SampleFailure) => void;
}

/** A sample that could not be loaded and was skipped. */
export interface SampleFailure {
  readonly epoch: number;
  /** Dataset index of the sample. */
  readonly index: number;
  readonly path?: string;
  readonly message: string;
}

/** Replacement draws for an unreadable sample before the pipeline gives up. */
const MAX_ATTEMPTS = 8;

/**
 * A batched, prefetching input pipeline over one dataset split. Close it when done, or let a
 * `using` block close it.
 *
 * @example
 * ```ts
 * using pipe = await openPipeline(cfg.data, "val", { mode: "eval", batchSize: 8 });
 * for await (const batch of pipe.epoch(0)) { ...; disposeBatch(batch); }
 * // Leaving the block stops the workers.
 * ```
 */
export class Pipeline implements Disposable {
  readonly mode: "train" | "eval";
  readonly batchSize: number;
  readonly seed: number;
  /** Samples skipped so far because their image could not be loaded. */
  readonly failures: SampleFailure[] = [];
  readonly #shuffle: boolean;
  readonly #prefetch: number;
  readonly #onSkip?: (f: SampleFailure) => void;
  #prepared = 0;
  #closed = false;

  constructor(
    readonly dataset: PoseDataset,
    readonly config: DataConfig,
    options: PipelineOptions,
    readonly source: SampleSource = new InlineSource(dataset, config),
  ) {
    validateDataConfig(config);
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) {
      throw new KitError(`batch size must be an integer >= 1; got ${options.batchSize}`);
    }
    this.mode = options.mode;
    this.batchSize = options.batchSize;
    this.seed = options.seed ?? 1;
    this.#shuffle = options.shuffle ?? options.mode === "train";
    this.#prefetch = Math.max(1, options.prefetch ?? config.prefetch);
    this.#onSkip = options.onSkip;
    if (dataset.length === 0) throw new KitError(`${dataset.name}: the dataset is empty`);
    if (this.batchesPerEpoch === 0) {
      throw new KitError(
        `${dataset.name}: ${dataset.length} samples make no full training batch of ${this.batchSize}`,
      );
    }
  }

  /** Batches in one epoch: training drops the last incomplete batch, evaluation pads it. */
  get batchesPerEpoch(): number {
    const n = this.dataset.length;
    return this.mode === "train" ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Number of samples skipped so far. */
  get skipped(): number {
    return this.failures.length;
  }

  /** The dataset order of an epoch: shuffled from (seed, epoch) in training mode. */
  order(epoch: number): number[] {
    const order = Array.from({ length: this.dataset.length }, (_, i) => i);
    return this.#shuffle ? new Random(hashSeed(this.seed, epoch, 0x5f)).shuffle(order) : order;
  }

  async #prepareAt(index: number, position: number, epoch: number): Promise<PreparedSample> {
    const train = this.mode === "train";
    let current = index;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        const prepared = await this.source.prepare({
          index: current,
          seed: hashSeed(this.seed, epoch, position, attempt),
          train,
          crop: this.dataset.crop,
        });
        this.#prepared++;
        return prepared;
      } catch (e) {
        if (!(e instanceof SampleLoadError) || this.config.onError === "fail") throw e;
        const failure = { epoch, index: current, path: e.path, message: e.message };
        this.failures.push(failure);
        this.#onSkip?.(failure);
        if (this.failures.length > 20 && this.failures.length > this.#prepared) {
          throw new KitError(
            `${this.dataset.name}: ${this.failures.length} samples could not be loaded, more ` +
              `than loaded (is data.imageDir right?); last: ${e.message}`,
          );
        }
        current = new Random(hashSeed(this.seed, epoch, position, attempt, 0xbad))
          .int(0, this.dataset.length - 1);
      }
    }
    throw new KitError(
      `${this.dataset.name}: ${MAX_ATTEMPTS} samples in a row could not be loaded near position ` +
        `${position}; last: ${this.failures.at(-1)?.message}`,
    );
  }

  async #batch(order: readonly number[], k: number, epoch: number): Promise<Batch> {
    const start = k * this.batchSize;
    const positions = Array.from(
      { length: Math.min(this.batchSize, order.length - start) },
      (_, i) => start + i,
    );
    const prepared = await Promise.all(positions.map((p) => this.#prepareAt(order[p]!, p, epoch)));
    if (this.#closed) throw new Error("the pipeline was closed");
    const last = prepared.at(-1)!;
    while (prepared.length < this.batchSize) {
      prepared.push({ ...last, meta: { ...last.meta, padded: true } });
    }
    return assembleBatch(prepared, this.config);
  }

  /**
   * The batches of epoch `epoch` from batch `fromBatch` on, prepared `prefetch` ahead. Dispose
   * each batch after use; stop early with `break` and the batches already prepared are disposed.
   *
   * @example
   * ```ts
   * for (let e = 0; e < epochs; e++) {
   *   for await (const batch of pipeline.epoch(e)) {
   *     step(batch);
   *     disposeBatch(batch);
   *   }
   * }
   * ```
   */
  async *epoch(epoch: number, fromBatch = 0): AsyncGenerator<Batch, void, undefined> {
    if (this.#closed) throw new Error("the pipeline was closed");
    const order = this.order(epoch);
    const total = this.batchesPerEpoch;
    const queue: Promise<Batch>[] = [];
    // Every batch depends only on (seed, epoch, position), so a resumed run starts mid-epoch
    // with exactly the batches the interrupted run would have seen next.
    let next = Math.max(0, Math.min(fromBatch, total));
    const fill = () => {
      while (queue.length < this.#prefetch && next < total) {
        const p = this.#batch(order, next++, epoch);
        // Errors surface when the batch is awaited; this only keeps them from being "unhandled"
        // while the batch waits in the queue.
        p.catch(() => {});
        queue.push(p);
      }
    };
    fill();
    try {
      while (queue.length > 0) {
        const batch = await queue.shift()!;
        fill();
        yield batch;
      }
    } finally {
      for (const p of queue.splice(0)) p.then(disposeBatch, () => {});
    }
  }

  /**
   * One batch of chosen dataset indices, prepared as in epoch `epoch` (for figures and tests).
   *
   * @example
   * ```ts
   * const batch = await pipeline.batchOf([0, 1, 2, 3]);
   * ```
   */
  async batchOf(indices: readonly number[], epoch = 0): Promise<Batch> {
    const prepared = await Promise.all(indices.map((idx, p) => this.#prepareAt(idx, p, epoch)));
    return assembleBatch(prepared, this.config);
  }

  /** Stops the workers. Batches already handed out stay valid. */
  close(): void {
    this.#closed = true;
    this.source.close();
  }

  /** {@link close}, for `using` (and `await using`) blocks. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * A pipeline over a dataset object, preparing samples on this thread (any PoseDataset works,
 * including ones built in code). For workers, use {@link openPipeline}.
 *
 * @example
 * ```ts
 * const pipe = createPipeline(dataset, cfg, { mode: "eval", batchSize: 8 });
 * ```
 */
export function createPipeline(
  dataset: PoseDataset,
  config: DataConfig,
  options: PipelineOptions,
): Pipeline {
  return new Pipeline(dataset, config, options);
}

/**
 * Opens the configured dataset split and a pipeline over it, with `data.workers` web workers
 * (each opens its own copy of the dataset from the config) or on this thread when 0.
 *
 * @example
 * ```ts
 * using train = await openPipeline(cfg.data, "train", { mode: "train", batchSize: 16, seed: 1 });
 * for await (const batch of train.epoch(0)) { ...; disposeBatch(batch); }
 * // Leaving the block closes the pipeline, as `train.close()` would.
 * ```
 */
export async function openPipeline(
  config: DataConfig,
  split: Split,
  options: PipelineOptions & { readonly workers?: number },
): Promise<Pipeline> {
  const dataset = await openDataset(config, split);
  const workers = options.workers ?? config.workers;
  if (workers <= 0) return new Pipeline(dataset, config, options);
  const source = new WorkerSource(config, split, workers);
  try {
    await source.ready;
    return new Pipeline(dataset, config, options, source);
  } catch (e) {
    source.close();
    throw e;
  }
}
