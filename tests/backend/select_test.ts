import { assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import {
  type BackendChoice,
  describeChoice,
  initBackend,
  parseBackend,
  readTensor,
} from "../../lib/backend/mod.ts";
import { KitError } from "../../lib/io/errors.ts";

Deno.test("an unknown backend name is rejected with the choices", () => {
  assertEquals(parseBackend("wasm"), "wasm");
  assertThrows(
    () => parseBackend("gpu"),
    KitError,
    'unknown backend "gpu" (choose auto, webgpu, wasm, cpu)',
  );
});

Deno.test("the start line names backend, adapter and reason", () => {
  const choice: BackendChoice = {
    backend: "wasm",
    requested: "auto",
    adapter: "mesa llvmpipe",
    isFallbackAdapter: true,
    reason: "auto: the only WebGPU adapter is a software fallback",
  };
  assertEquals(
    describeChoice(choice),
    "backend: wasm (adapter: mesa llvmpipe, software fallback) - auto: the only WebGPU adapter is a software fallback",
  );
});

Deno.test("an explicit cpu request is honoured and tensors read back asynchronously", async () => {
  const choice = await initBackend("cpu", () => {});
  assertEquals([choice.backend, tf.getBackend()], ["cpu", "cpu"]);
  const t = tf.tensor1d([1, 2, 3]);
  assertEquals(Array.from(await readTensor(t)), [1, 2, 3]);
  t.dispose();
});
