import { assert, assertEquals, assertMatch } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend, probeAdapter } from "../../lib/backend/mod.ts";
import { runWebGpuChild } from "./webgpu_child_run.ts";

// The suite's second pass (KIT_TEST_BACKEND) would only repeat these.
const secondPass = Deno.env.get("KIT_TEST_BACKEND") !== undefined;

Deno.test({
  name: "auto picks WebGPU only on a hardware adapter and says why otherwise",
  ignore: secondPass,
}, async () => {
  const lines: string[] = [];
  const found = await probeAdapter(); // what auto sees: Vulkan, Metal or DirectX 12 only
  const choice = await initBackend("auto", (l) => lines.push(l));
  assertEquals(lines.length, 1);
  if (found && !found.report.isFallback) {
    assertEquals(choice.backend, "webgpu");
  } else {
    assertEquals(choice.backend, "wasm");
    assertMatch(lines[0]!, found ? /software fallback/ : /no WebGPU adapter on Vulkan/);
  }
  assertEquals(tf.getBackend(), choice.backend);
  await tf.setBackend("cpu");
});

Deno.test({
  name: "--backend webgpu starts through our device request and trains with wasm's losses",
  ignore: secondPass,
}, async () => {
  const r = await runWebGpuChild("webgpu_child.ts");
  if (r === null) return;
  assertEquals(r.backend, "webgpu");
  assertMatch(r.line, /requested with --backend webgpu/);
  assertEquals(r.added, [4, 6]);
  assertEquals(r.released, true);
  const wasm: number[] = r.losses["wasm:wasm"];
  const webgpu: number[] = r.losses["webgpu:webgpu"];
  assertEquals(webgpu.length, 3);
  webgpu.forEach((loss, i) => {
    const rel = Math.abs(loss - wasm[i]!) / Math.abs(wasm[i]!);
    assert(Number.isFinite(loss) && rel < 1e-3, `step ${i + 1}: webgpu ${loss}, wasm ${wasm[i]}`);
  });
});
