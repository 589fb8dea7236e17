/**
 * Runs a WebGPU check in a child process and returns its result (the last stdout line, JSON),
 * or null when the machine has no WebGPU adapter at all. A process that loaded libEGL (llvmpipe
 * on OpenGL) may abort at exit after printing its results; that abort, and only that, is
 * accepted (see lib/backend/webgpu.ts).
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { NATIVE_GPU_APIS } from "../../lib/backend/mod.ts";

const root = new URL("../../", import.meta.url).pathname;

/**
 * The parsed result of `tests/backend/<script>` run in a child, or null without an adapter.
 *
 * @example
 * ```ts
 * const r = await runWebGpuChild("webgpu_child.ts");
 * if (r === null) return; // nothing to check on this machine
 * ```
 */
// deno-lint-ignore no-explicit-any
export async function runWebGpuChild(script: string): Promise<any | null> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", `${root}deno.json`, `${root}tests/backend/${script}`],
    // The parent's auto probe set DENO_WEBGPU_BACKEND to the native APIs; the child inherits it
    // and must look on OpenGL too (llvmpipe on machines without a GPU).
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
    return null;
  }
  if (out.code !== 0) {
    // The results are in; only the exit of an OpenGL (libEGL) process failed.
    assertEquals(out.signal, "SIGABRT", `exit ${out.code}:\n${stderr}`);
    assertMatch(stderr, /corrupted|double free|free\(\)/, `exit ${out.code}:\n${stderr}`);
    console.log(`the WebGPU process aborted at exit after its results (libEGL): ${stderr.trim()}`);
  }
  return r;
}
