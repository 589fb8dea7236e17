import { type BackendChoice, initBackend, parseBackend } from "../backend/select.ts";

/**
 * Puts tests on one backend, quietly: `cpu` by default (exact and always there), or the one
 * named by the environment variable `KIT_TEST_BACKEND` so the same suite can run on wasm or
 * WebGPU.
 *
 * @example
 * ```ts
 * await useTestBackend(); // at the top of a test file
 * ```
 */
export function useTestBackend(): Promise<BackendChoice> {
  const requested = parseBackend(Deno.env.get("KIT_TEST_BACKEND") ?? "cpu");
  return initBackend(requested, () => {});
}
