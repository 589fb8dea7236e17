import { assert, assertEquals, assertMatch } from "@std/assert";
import { NATIVE_GPU_APIS } from "../../lib/backend/mod.ts";
import { FILTER_CASES } from "./webgpu_kernels_child.ts";

const root = new URL("../../", import.meta.url).pathname;
// The suite's second pass (KIT_TEST_BACKEND) would only repeat these.
const secondPass = Deno.env.get("KIT_TEST_BACKEND") !== undefined;

/** Relative error allowed against the cpu backend: max |webgpu - cpu| / max |cpu|. */
const TOLERANCE = 1e-4;

Deno.test({
  name: "the kit's webgpu filter and input gradients match the cpu backend for 1x1, 3x3 and 7x7",
  ignore: secondPass,
}, async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${root}deno.json`,
      `${root}tests/backend/webgpu_kernels_child.ts`,
    ],
    // Look on OpenGL too (llvmpipe on machines without a GPU); see webgpu_test.ts.
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
  }
  // Every case ran the kit's kernels, not tfjs's fallback.
  assertEquals(r.kitRuns, {
    Conv2DBackpropFilter: FILTER_CASES.length,
    // The RGB cases (3 input channels) stay on tfjs's input gradient.
    Conv2DBackpropInput: FILTER_CASES.filter((c) => c.x[3] % 4 === 0).length,
  });
  assertEquals(r.results.length, FILTER_CASES.length);
  assert(r.results.some((c: { slices: number }) => c.slices > 1), "no case used split-K");
  for (const [i, c] of FILTER_CASES.entries()) {
    const got = r.results[i];
    assertEquals(got.dwShape, c.filter, c.name);
    assertEquals(got.dxShape, c.x, c.name);
    assert(got.dwError < TOLERANCE, `${c.name}: filter gradient relative error ${got.dwError}`);
    assert(got.dxError < TOLERANCE, `${c.name}: input gradient relative error ${got.dxError}`);
  }
});
