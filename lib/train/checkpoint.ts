/**
 * Checkpoints: the model in the tfjs format (model.json + weights.bin, loadable by
 * `tf.loadLayersModel` in a browser), the optimiser state, the training state and the resolved
 * config.
 *
 * Each checkpoint is a fresh directory under `<run>/checkpoints/`, written and fsynced in full
 * before `last.json` and `best.json` are atomically swapped to it, and never replaced in place
 * (see checkpoint_files.ts), so a kill at any instant leaves every pointer naming a complete
 * checkpoint.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join } from "@std/path";
import { syncDir, writeFileAtomic, writeFileSynced } from "../io/atomic.ts";
import { KitError } from "../io/errors.ts";
import type { ConfigObject } from "../config/config.ts";
import {
  checkpointFault,
  type CheckpointManifest,
  freeCheckpointName,
  MANIFEST,
  verifyCheckpoint,
} from "./checkpoint_files.ts";

export { loadModelWeights, loadOptimizerState } from "./checkpoint_load.ts";
export {
  CHECKPOINT_PHASES,
  type CheckpointPhase,
  removeStaleTemporaries,
  setCheckpointFaultHook,
  verifyCheckpoint,
} from "./checkpoint_files.ts";

/** Where training stands: enough to continue exactly. */
export interface TrainState {
  /** Optimiser steps taken. */
  readonly step: number;
  /** Epochs completed. */
  readonly epoch: number;
  /** Batches already consumed in the current epoch. */
  readonly batchInEpoch: number;
  /** Validation score after each completed epoch (PCKh@0.5 mean). */
  readonly scores: readonly number[];
  readonly bestScore: number | null;
  readonly bestStep: number | null;
  /** Free-form extra state (e.g. MSSH adaptive weights). */
  readonly extra?: Record<string, unknown>;
}

/** The pointer files of a run directory. */
export type CheckpointPointer = "last" | "best";

/** One tensor of a weights file: its name, shape and type, in file order. */
export interface WeightFileSpec {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
}

async function writeWeights(
  dir: string,
  file: string,
  named: { name: string; tensor: tf.Tensor }[],
): Promise<WeightFileSpec[]> {
  const specs: WeightFileSpec[] = [];
  const chunks: Uint8Array[] = [];
  for (const { name, tensor } of named) {
    const dtype = tensor.dtype === "int32" ? "int32" : "float32";
    const values = await tensor.data();
    const typed = dtype === "int32" ? Int32Array.from(values) : Float32Array.from(values);
    chunks.push(new Uint8Array(typed.buffer));
    specs.push({ name, shape: tensor.shape, dtype });
  }
  const total = chunks.reduce((n, c) => n + c.length, 0);
  const bytes = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    bytes.set(c, o);
    o += c.length;
  }
  await writeFileSynced(join(dir, file), bytes);
  return specs;
}

/**
 * Writes a checkpoint of the model, optimiser, state and config into a new directory
 * `<runDir>/checkpoints/step-<step>/` (`step-<step>-2`, ... when that step was saved before), then
 * points `last.json` (and `best.json` when `isBest`) at it, then removes the step directories no
 * pointer names. Each file is fsynced before the directory is published and the pointer is
 * swapped only after, so a kill at any instant leaves every pointer naming a complete checkpoint.
 *
 * @example
 * ```ts
 * await saveCheckpoint("runs/hg", { model, optimizer, config, state, isBest: true });
 * ```
 */
export async function saveCheckpoint(
  runDir: string,
  parts: {
    model: tf.LayersModel;
    optimizer?: tf.Optimizer;
    config: ConfigObject;
    state: TrainState;
    isBest?: boolean;
  },
): Promise<string> {
  const info = { step: parts.state.step, runDir };
  await checkpointFault("start", info);
  const root = join(runDir, "checkpoints");
  await Deno.mkdir(root, { recursive: true });
  const tmp = join(root, `.step-${parts.state.step}-${crypto.randomUUID()}.tmp`);
  await Deno.mkdir(tmp);
  let dir: string;
  let rel: string;
  try {
    await writeCheckpointFiles(tmp, parts);
    await checkpointFault("temp-written", info);
    // A fresh name: the directory a pointer names is never removed or replaced before the
    // pointer has moved on.
    const name = await freeCheckpointName(root, parts.state.step);
    rel = join("checkpoints", name);
    dir = join(runDir, rel);
    await Deno.rename(tmp, dir);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  await syncDir(root);
  await checkpointFault("published", info);
  const pointer = JSON.stringify({ dir: rel, step: parts.state.step });
  await writeFileAtomic(join(runDir, "last.json"), pointer);
  if (parts.isBest) await writeFileAtomic(join(runDir, "best.json"), pointer);
  await checkpointFault("pointer-swapped", info);
  await pruneCheckpoints(runDir, info);
  return dir;
}

/** Writes and fsyncs every file of a checkpoint into `dir`, the manifest last. */
async function writeCheckpointFiles(
  dir: string,
  parts: {
    model: tf.LayersModel;
    optimizer?: tf.Optimizer;
    config: ConfigObject;
    state: TrainState;
  },
): Promise<void> {
  // The tfjs layers format, written by tfjs's own serialiser so browsers load it unchanged.
  await parts.model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = artifacts.weightData instanceof ArrayBuffer
      ? new Uint8Array(artifacts.weightData)
      : new Uint8Array(await new Blob(artifacts.weightData as ArrayBuffer[]).arrayBuffer());
    await writeFileSynced(join(dir, "weights.bin"), weightData);
    const modelJson = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs ?? [] }],
    };
    await writeFileSynced(join(dir, "model.json"), JSON.stringify(modelJson));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
  if (parts.optimizer) {
    const named = await parts.optimizer.getWeights();
    const specs = await writeWeights(dir, "optimizer.bin", named);
    await writeFileSynced(
      join(dir, "optimizer.json"),
      JSON.stringify({
        className: parts.optimizer.getClassName(),
        config: parts.optimizer.getConfig(),
        weights: specs,
      }),
    );
  }
  await writeFileSynced(join(dir, "state.json"), JSON.stringify(parts.state, null, 2));
  await writeFileSynced(join(dir, "config.json"), JSON.stringify(parts.config, null, 2));
  const files: Record<string, number> = {};
  for await (const e of Deno.readDir(dir)) {
    files[e.name] = (await Deno.stat(join(dir, e.name))).size;
  }
  const manifest: CheckpointManifest = { files, optimizer: parts.optimizer !== undefined };
  await writeFileSynced(join(dir, MANIFEST), JSON.stringify(manifest, null, 2));
  await syncDir(dir);
}

async function pointerTarget(
  runDir: string,
  pointer: CheckpointPointer,
): Promise<string | undefined> {
  try {
    const p = JSON.parse(await Deno.readTextFile(join(runDir, `${pointer}.json`))) as {
      dir?: unknown;
    };
    return typeof p.dir === "string" ? p.dir : undefined;
  } catch {
    return undefined;
  }
}

async function pruneCheckpoints(
  runDir: string,
  info: { step: number; runDir: string },
): Promise<void> {
  const keep = new Set(
    (await Promise.all([pointerTarget(runDir, "last"), pointerTarget(runDir, "best")]))
      .filter((d): d is string => d !== undefined),
  );
  const root = join(runDir, "checkpoints");
  for await (const e of Deno.readDir(root)) {
    if (e.isDirectory && e.name.startsWith("step-") && !keep.has(join("checkpoints", e.name))) {
      // Moved aside in one rename first: a kill during the removal leaves a `.gc-*.tmp` that the
      // next start removes, never a half-deleted `step-*` that looks like a checkpoint.
      const aside = join(root, `.gc-${e.name}-${crypto.randomUUID()}.tmp`);
      await Deno.rename(join(root, e.name), aside);
      await checkpointFault("gc", info);
      await Deno.remove(aside, { recursive: true });
    }
  }
  await syncDir(root);
}

/**
 * Finds a checkpoint directory: a run directory (through `last.json`, or `best.json` with
 * `pointer: "best"`) or a checkpoint directory itself (one holding model.json). Throws a KitError
 * naming the path when there is none, or naming the missing file when it is incomplete.
 *
 * @example
 * ```ts
 * await resolveCheckpoint("runs/hg", "best"); // "runs/hg/checkpoints/step-0000420"
 * ```
 */
export async function resolveCheckpoint(
  path: string,
  pointer: CheckpointPointer = "last",
): Promise<string> {
  const exists = async (p: string) => {
    try {
      await Deno.stat(p);
      return true;
    } catch {
      return false;
    }
  };
  if (await exists(join(path, "model.json"))) {
    await verifyCheckpoint(path);
    return path;
  }
  const target = (await pointerTarget(path, pointer)) ??
    (pointer === "best" ? await pointerTarget(path, "last") : undefined);
  if (target && (await exists(join(path, target)))) {
    await verifyCheckpoint(join(path, target));
    return join(path, target);
  }
  throw new KitError(
    `${path}: no checkpoint here (expected model.json, or ${pointer}.json pointing at one)`,
  );
}

/**
 * Reads a checkpoint's state and config.
 *
 * @example
 * ```ts
 * const { state, config } = await readCheckpointMeta(dir);
 * ```
 */
export async function readCheckpointMeta(
  dir: string,
): Promise<{ state: TrainState; config: ConfigObject }> {
  const read = async (file: string) => {
    const path = join(dir, file);
    try {
      return JSON.parse(await Deno.readTextFile(path));
    } catch (e) {
      throw new KitError(`${path}: cannot read checkpoint file (${(e as Error).message})`);
    }
  };
  return {
    state: await read("state.json") as TrainState,
    config: await read("config.json") as ConfigObject,
  };
}
