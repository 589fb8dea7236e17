import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import {
  type BackendChoice,
  describeChoice,
  initBackend,
  parseBackend,
  probeAdapter,
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

Deno.test("auto picks WebGPU only on a hardware adapter and says why otherwise", async () => {
  const lines: string[] = [];
  const found = await probeAdapter();
  const choice = await initBackend("auto", (l) => lines.push(l));
  assertEquals(lines.length, 1);
  if (found && !found.report.isFallback) {
    assertEquals(choice.backend, "webgpu");
  } else {
    assertEquals(choice.backend, "wasm");
    assertMatch(lines[0]!, found ? /software fallback/ : /no WebGPU adapter/);
  }
  assertEquals(tf.getBackend(), choice.backend);
  await tf.setBackend("cpu");
});

Deno.test("an explicit cpu request is honoured and tensors read back asynchronously", async () => {
  const choice = await initBackend("cpu", () => {});
  assertEquals([choice.backend, tf.getBackend()], ["cpu", "cpu"]);
  const t = tf.tensor1d([1, 2, 3]);
  assertEquals(Array.from(await readTensor(t)), [1, 2, 3]);
  t.dispose();
});

Deno.test("the webgpu backend starts through our device request when an adapter exists", async () => {
  const found = await probeAdapter();
  if (!found) return; // nothing to register on a machine without WebGPU
  const lines: string[] = [];
  const choice = await initBackend("webgpu", (l) => lines.push(l));
  assertEquals(choice.backend, "webgpu");
  assertMatch(lines[0]!, /requested with --backend webgpu/);
  const y = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])));
  assertEquals(Array.from(await readTensor(y)), [4, 6]);
  y.dispose();
  await tf.setBackend("cpu");
});
