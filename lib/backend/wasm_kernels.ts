/**
 * Gradient kernels the tfjs wasm backend lacks (Conv2DBackpropFilter and the depthwise
 * backprops), registered so that `--backend wasm` can train. Filled in by the performance work;
 * until then this registers nothing and training on wasm fails inside tfjs.
 *
 * @module
 */

/**
 * Registers the kit's wasm training kernels once. Safe to call repeatedly.
 *
 * @example
 * ```ts
 * registerWasmTrainingKernels();
 * await tf.setBackend("wasm");
 * ```
 */
export function registerWasmTrainingKernels(): void {}
