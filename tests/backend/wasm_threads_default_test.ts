import { assertEquals } from "@std/assert";
import {
  initBackend,
  loadNative,
  setWasmThreadsDefault,
  wantedWasmThreads,
  wasmThreadCount,
} from "../../lib/backend/mod.ts";

// Its own isolate: the wasm backend here starts under the defaults this file sets.
const BACKEND_TEST = { sanitizeOps: false, sanitizeResources: false };

/** Runs `fn` with $KIT_WASM_THREADS set to `value` (undefined: unset), then restores it. */
async function withEnv(value: string | undefined, fn: () => void | Promise<void>) {
  const saved = Deno.env.get("KIT_WASM_THREADS");
  if (value === undefined) Deno.env.delete("KIT_WASM_THREADS");
  else Deno.env.set("KIT_WASM_THREADS", value);
  try {
    await fn();
  } finally {
    if (saved === undefined) Deno.env.delete("KIT_WASM_THREADS");
    else Deno.env.set("KIT_WASM_THREADS", saved);
  }
}

Deno.test("the wasm pool takes the default set for it unless KIT_WASM_THREADS names a count", async () => {
  const half = Math.max(1, Math.min(8, Math.floor((navigator.hardwareConcurrency || 1) / 2)));
  await withEnv(undefined, () => {
    setWasmThreadsDefault(3);
    assertEquals(wantedWasmThreads(), 3);
    setWasmThreadsDefault(undefined);
    assertEquals(wantedWasmThreads(), half);
  });
  await withEnv("2", () => {
    setWasmThreadsDefault(3);
    assertEquals(wantedWasmThreads(), 2);
    setWasmThreadsDefault(undefined);
  });
});

Deno.test({
  name: "beside oneDNN the wasm backend starts on one thread, whatever default it had before",
  ...BACKEND_TEST,
  ignore: !loadNative().loaded,
  fn: () =>
    withEnv(undefined, async () => {
      setWasmThreadsDefault(4);
      await initBackend("wasm", () => {});
      assertEquals(wantedWasmThreads(), 1);
      assertEquals(wasmThreadCount(), 1);
    }),
});
