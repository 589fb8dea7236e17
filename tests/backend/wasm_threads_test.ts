import { assertEquals, assertLess } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend, setWasmThreads, wasmThreadCount } from "../../lib/backend/mod.ts";

// Test files run in separate isolates: this one gets its own, two-thread wasm backend.
const BACKEND_TEST = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "the wasm backend starts with two threads when asked, and trains on them",
  ...BACKEND_TEST,
  fn: async () => {
    setWasmThreads(2);
    await initBackend("wasm", () => {});
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    assertEquals(wasmThreadCount(), simd ? 2 : 1);

    // The threaded path of the conv gradients (GEMMs as 1x1 convolutions) against cpu.
    const grads = () =>
      tf.grads((x: tf.Tensor, f: tf.Tensor) =>
        tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 2, "same").square().sum()
      )([
        tf.randomUniform([2, 9, 9, 3], -1, 1, "float32", 1),
        tf.randomUniform([3, 3, 3, 4], -1, 1, "float32", 2),
      ]);
    const onWasm = await Promise.all(grads().map((t) => t.data()));
    await initBackend("cpu", () => {});
    const onCpu = await Promise.all(grads().map((t) => t.data()));
    onCpu.forEach((c, i) => {
      const w = onWasm[i]!;
      let scale = 0, diff = 0;
      for (let k = 0; k < c.length; k++) {
        scale = Math.max(scale, Math.abs(c[k]!));
        diff = Math.max(diff, Math.abs(c[k]! - w[k]!));
      }
      assertLess(diff / scale, 1e-4);
    });
  },
});

Deno.test("a thread count outside 1..8 is refused, naming the value", () => {
  let message = "";
  try {
    setWasmThreads(0);
  } catch (e) {
    message = (e as Error).message;
  }
  assertEquals(message, "wasm threads must be an integer from 1 to 8, got 0");
});
