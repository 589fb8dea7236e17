import { assert, assertEquals, assertMatch } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { initBackend, NATIVE_GPU_APIS, probeAdapter } from "../../lib/backend/mod.ts";

const root = new URL("../../", import.meta.url).pathname;
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
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${root}deno.json`, `${root}tests/backend/webgpu_child.ts`],
    // This process's auto probe set DENO_WEBGPU_BACKEND to the native APIs; the child inherits
    // it and must look on OpenGL too.
    // LIBC_FATAL_STDERR_: glibc's abort message to stderr rather than the terminal.
    env: { NO_COLOR: "1", DENO_WEBGPU_BACKEND: `${NATIVE_GPU_APIS},gl`, LIBC_FATAL_STDERR_: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  assert(last.startsWith("{"), `no result from the WebGPU process (exit ${out.code}):\n${stderr}`);
  const r = JSON.parse(last);
  if (r.adapter === null) {
    console.log("no WebGPU adapter on this machine (not even OpenGL): nothing to check");
    return;
  }
  if (out.code !== 0) {
    // The results are in; only the exit of an OpenGL (libEGL) process failed (see webgpu.ts).
    assertEquals(out.signal, "SIGABRT", `exit ${out.code}:\n${stderr}`);
    assertMatch(stderr, /corrupted|double free|free\(\)/, `exit ${out.code}:\n${stderr}`);
    console.log(`the WebGPU process aborted at exit after its results (libEGL): ${stderr.trim()}`);
  }
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
