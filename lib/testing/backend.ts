import { type BackendChoice, initBackend, parseBackend } from "../backend/select.ts";

/**
 * Puts tests on one backend, quietly: `cpu` by default (the reference kernels), or `fallback`
 * (tests that train for several steps use wasm: tfjs-cpu's convolution gradients take seconds a
 * step), or the one named by the environment variable `KIT_TEST_BACKEND`, so the same suite can
 * run on wasm or WebGPU.
 *
 * @example
 * ```ts
 * await useTestBackend(); // at the top of a test file
 * ```
 */
export function useTestBackend(fallback: "cpu" | "wasm" = "cpu"): Promise<BackendChoice> {
  const requested = parseBackend(Deno.env.get("KIT_TEST_BACKEND") ?? fallback);
  return initBackend(requested, () => {});
}
