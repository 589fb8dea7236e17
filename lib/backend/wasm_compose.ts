/**
 * Building new wasm kernels out of the wasm backend's own kernels.
 *
 * A composed kernel runs inside tfjs's kernel dispatch, below the tensor level: it works on
 * `TensorInfo`s, calls other wasm kernels through their registered `kernelFunc`s, and must free
 * every intermediate buffer itself (the engine only tracks the one it returns). {@link compose}
 * does that bookkeeping.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs-backend-wasm's `BackendWasm` a composed kernel needs. */
export interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Attributes as the kernels take them (plain values, arrays of numbers, nested arrays). */
export type KernelAttrs = Record<string, unknown>;

/**
 * A scope for one composed kernel call: runs wasm kernels and frees everything it ran except
 * what is kept.
 *
 * @example
 * ```ts
 * const scope = new KernelScope(backend as WasmBackendLike);
 * try {
 *   const y = scope.keep(scope.run("Neg", { x }));
 * } finally {
 *   scope.dispose(); // frees everything run in the scope but y
 * }
 * ```
 */
export class KernelScope {
  readonly #backend: WasmBackendLike;
  readonly #temps: tf.TensorInfo[] = [];

  constructor(backend: WasmBackendLike) {
    this.#backend = backend;
  }

  /** Runs the wasm kernel `name`; its output is freed when the scope ends unless kept. */
  run(
    name: string,
    inputs: tf.NamedTensorInfoMap | tf.TensorInfo[],
    attrs: KernelAttrs = {},
  ): tf.TensorInfo {
    const kernel = tf.getKernel(name, "wasm");
    if (!kernel) throw new Error(`the wasm backend has no ${name} kernel`);
    const out = kernel.kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      attrs: attrs as tf.NamedAttrMap,
      backend: this.#backend as unknown as tf.KernelBackend,
    });
    if (Array.isArray(out)) {
      this.#temps.push(...out);
      throw new Error(`composed kernels expect one output from ${name}, got ${out.length}`);
    }
    this.#temps.push(out);
    return out;
  }

  /** Shares `x`'s buffer under a new shape (no copy). */
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run("Reshape", { x }, { shape });
  }

  /**
   * Takes ownership of a buffer made outside {@link run} (e.g. by a replaced kernel's original
   * function): it is freed with the scope unless kept.
   */
  adopt(t: tf.TensorInfo): tf.TensorInfo {
    this.#temps.push(t);
    return t;
  }

  /** Removes `t` from the scope so that it outlives it (the kernel's result). */
  keep(t: tf.TensorInfo): tf.TensorInfo {
    const i = this.#temps.indexOf(t);
    if (i < 0) throw new Error("keep: this tensor was not made in this scope");
    this.#temps.splice(i, 1);
    return t;
  }

  /** Frees every intermediate still held. */
  dispose(): void {
    for (const t of this.#temps.splice(0)) this.#backend.disposeData(t.dataId);
  }
}

/**
 * Runs `body` in a fresh {@link KernelScope} and returns its result, freeing every other buffer
 * the body made, also when it throws.
 *
 * @example
 * ```ts
 * const kernelFunc: tf.KernelFunc = ({ inputs, backend }) =>
 *   compose(backend as WasmBackendLike, (s) => s.run("Neg", { x: s.run("Neg", inputs) }));
 * ```
 */
export function compose(
  backend: WasmBackendLike,
  body: (scope: KernelScope) => tf.TensorInfo,
): tf.TensorInfo {
  const scope = new KernelScope(backend);
  try {
    const out = body(scope);
    return scope.keep(out);
  } finally {
    scope.dispose();
  }
}
