/**
 * Loading checkpoints back: model weights matched by name and shape, optimiser slots, each file
 * checked (sizes, finite values) so a damaged checkpoint is reported instead of loaded.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { join } from "@std/path";
import { KitError } from "../io/errors.ts";
import type { WeightFileSpec } from "./checkpoint.ts";
import { readManifest } from "./checkpoint_files.ts";

function readWeightTensors(
  bytes: Uint8Array,
  specs: readonly WeightFileSpec[],
  file: string,
): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  let o = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    if (o + 4 * n > bytes.length) {
      for (const t of out) t.dispose();
      throw new KitError(`${file}: too short for weight "${s.name}" [${s.shape}]`);
    }
    const buf = bytes.buffer.slice(bytes.byteOffset + o, bytes.byteOffset + o + 4 * n);
    const values = s.dtype === "int32" ? new Int32Array(buf) : new Float32Array(buf);
    const bad = s.dtype === "int32" ? -1 : values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      for (const t of out) t.dispose();
      throw new KitError(
        `${file}: weight "${s.name}" holds ${values[bad]} at index ${bad}; the checkpoint is ` +
          `damaged (or saved from a diverged run) and would only predict garbage`,
      );
    }
    out.push(tf.tensor(values, s.shape, s.dtype));
    o += 4 * n;
  }
  return out;
}

/**
 * Loads a checkpoint's weights into a model built from the same config, checking that every
 * weight's shape matches (a different architecture is reported, not half-loaded).
 *
 * @example
 * ```ts
 * const net = buildModel(config.model);
 * await loadModelWeights(dir, net.graph);
 * ```
 */
export async function loadModelWeights(dir: string, model: tf.LayersModel): Promise<void> {
  const jsonPath = join(dir, "model.json");
  let manifest: { weightsManifest: { paths: string[]; weights: WeightFileSpec[] }[] };
  try {
    manifest = JSON.parse(await Deno.readTextFile(jsonPath));
  } catch (e) {
    throw new KitError(`${jsonPath}: cannot read (${(e as Error).message})`);
  }
  const specs = manifest.weightsManifest.flatMap((g) => g.weights);
  const files = await Promise.all(
    manifest.weightsManifest.flatMap((g) => g.paths).map(async (p) => {
      try {
        return await Deno.readFile(join(dir, p));
      } catch (e) {
        throw new KitError(`${join(dir, p)}: cannot read (${(e as Error).message})`);
      }
    }),
  );
  const bytes = new Uint8Array(files.reduce((n, f) => n + f.length, 0));
  files.reduce((o, f) => (bytes.set(f, o), o + f.length), 0);
  const weights = model.weights;
  if (specs.length !== weights.length) {
    throw new KitError(
      `${jsonPath}: holds ${specs.length} weights but the model has ${weights.length} (a different architecture?)`,
    );
  }
  // Saved weights are matched by name: tfjs lists trainable weights first, so the order of a
  // model saved while some layers were frozen (Ke's second stage) differs from a fresh model's.
  const byName = new Map(specs.map((s, i) => [s.name, i]));
  const order = weights.map((w) => byName.get(w.originalName));
  if (order.some((i) => i === undefined) || byName.size !== specs.length) {
    const missing = weights.find((w) => !byName.has(w.originalName));
    throw new KitError(
      `${jsonPath}: has no weight named "${
        missing?.originalName ?? "?"
      }" (a different architecture?)`,
    );
  }
  weights.forEach((w, k) => {
    const s = specs[order[k]!]!;
    if (s.shape.join("x") !== w.shape.join("x")) {
      throw new KitError(
        `${jsonPath}: weight "${s.name}" has shape [${s.shape}] but the model's is [${w.shape}]`,
      );
    }
  });
  const tensors = readWeightTensors(bytes, specs, join(dir, "weights.bin"));
  try {
    // LayersModel.setWeights follows model.weights' order.
    model.setWeights(order.map((i) => tensors[i!]!));
  } finally {
    tf.dispose(tensors);
  }
}

/**
 * Restores an optimiser's slots (moments, accumulators, iteration count) from a checkpoint.
 * A checkpoint saved without an optimiser (its manifest says so) leaves the optimiser fresh and
 * returns false; a missing or unreadable optimizer.json or optimizer.bin anywhere else is a
 * KitError, never a silent fresh optimiser.
 *
 * @example
 * ```ts
 * await loadOptimizerState(dir, optimizer);
 * ```
 */
export async function loadOptimizerState(dir: string, optimizer: tf.Optimizer): Promise<boolean> {
  // A checkpoint saved without an optimiser says so in its manifest; anywhere else a missing
  // optimizer.json means an incomplete checkpoint, which must not resume on a fresh optimiser.
  if ((await readManifest(dir))?.optimizer === false) return false;
  const jsonPath = join(dir, "optimizer.json");
  let meta: { className: string; weights: WeightFileSpec[] };
  try {
    meta = JSON.parse(await Deno.readTextFile(jsonPath));
  } catch (e) {
    throw new KitError(
      `${jsonPath}: cannot read the optimiser's state (${(e as Error).message}); the checkpoint ` +
        `is incomplete and a resumed run would silently restart its optimiser`,
    );
  }
  if (meta.className !== optimizer.getClassName()) {
    throw new KitError(
      `${
        join(dir, "optimizer.json")
      }: saved from ${meta.className}, cannot restore into ${optimizer.getClassName()}`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(join(dir, "optimizer.bin"));
  } catch (e) {
    throw new KitError(
      `${join(dir, "optimizer.bin")}: cannot read the optimiser's state ` +
        `(${(e as Error).message}); the checkpoint is incomplete`,
    );
  }
  const tensors = readWeightTensors(bytes, meta.weights, join(dir, "optimizer.bin"));
  await optimizer.setWeights(meta.weights.map((s, i) => ({ name: s.name, tensor: tensors[i]! })));
  tf.dispose(tensors);
  restoreAdamPowers(optimizer);
  return true;
}

/**
 * Adam keeps beta1^t and beta2^t as running float32 products, but its setWeights recomputes them
 * with one `pow`, which rounds differently; recompute them as the same running product so a
 * resumed run's updates are bit-identical to an unbroken run's.
 */
function restoreAdamPowers(optimizer: tf.Optimizer): void {
  if (optimizer.getClassName() !== "Adam") return;
  const adam = optimizer as unknown as {
    beta1: number;
    beta2: number;
    iterations: number;
    accBeta1: tf.Variable;
    accBeta2: tf.Variable;
  };
  const product = (beta: number) => {
    let v = Math.fround(beta);
    for (let i = 0; i < adam.iterations; i++) v = Math.fround(v * Math.fround(beta));
    return v;
  };
  tf.tidy(() => {
    adam.accBeta1.assign(tf.scalar(product(adam.beta1)));
    adam.accBeta2.assign(tf.scalar(product(adam.beta2)));
  });
}
