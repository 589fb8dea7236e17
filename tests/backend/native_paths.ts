/**
 * Helpers shared by the backend tests (native paths, wasm kernels): run one computation on a backend path and compare its
 * outputs by relative error.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend, setNativeKernelsEnabled } from "../../lib/backend/mod.ts";

/** Starting the wasm backend starts its thread pool, which lives as long as the process. */
export const BACKEND_TEST = { sanitizeOps: false, sanitizeResources: false };

/**
 * A seeded uniform tensor in [-1, 1).
 *
 * @example
 * ```ts
 * const x = rand([2, 4, 4, 3], 1);
 * ```
 */
export function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomUniform(shape, -1, 1, "float32", seed);
}

/** native and wasm are the wasm backend with the native kernels on and off. */
export type Path = "native" | "wasm" | "cpu";

/**
 * Runs `f` on one path and returns its outputs' values (the outputs are disposed); the native
 * kernels are switched back on afterwards.
 *
 * @example
 * ```ts
 * const [y] = await run("cpu", () => [tf.relu(rand([4], 1))]);
 * ```
 */
export async function run(path: Path, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend(path === "cpu" ? "cpu" : "wasm", () => {});
  setNativeKernelsEnabled(path === "native");
  try {
    const outs = f();
    const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
    tf.dispose(outs);
    return values;
  } finally {
    setNativeKernelsEnabled(true);
  }
}

/**
 * max |a - ref| / max |ref| per output (the absolute difference where ref is all zeros).
 *
 * @example
 * ```ts
 * relativeErrors([new Float32Array([1.1])], [new Float32Array([1])]); // [~0.1]
 * ```
 */
export function relativeErrors(a: Float32Array[], ref: Float32Array[]): number[] {
  return a.map((v, i) => {
    const r = ref[i]!;
    assertEquals(v.length, r.length);
    let diff = 0, scale = 0;
    for (let k = 0; k < r.length; k++) {
      diff = Math.max(diff, Math.abs(v[k]! - r[k]!));
      scale = Math.max(scale, Math.abs(r[k]!));
    }
    return scale === 0 ? diff : diff / scale;
  });
}
