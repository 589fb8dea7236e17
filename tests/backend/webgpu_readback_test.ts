import { assert, assertEquals } from "@std/assert";
import { LOG_EVERY, STEPS } from "./webgpu_readback_child.ts";
import { runWebGpuChild } from "./webgpu_child_run.ts";

// The suite's second pass (KIT_TEST_BACKEND) would only repeat this.
const secondPass = Deno.env.get("KIT_TEST_BACKEND") !== undefined;

Deno.test({
  name:
    "a webgpu epoch reads the losses back once per logEvery steps and its buffer pool stays flat",
  ignore: secondPass,
}, async () => {
  const r = await runWebGpuChild("webgpu_readback_child.ts");
  if (r === null) return;
  assertEquals(r.perReadback, LOG_EVERY);
  assertEquals(r.losses.length, STEPS);
  assert(r.losses.every(Number.isFinite), `losses ${r.losses}`);
  // One readback per interval (steps 5, 10, and the epoch's end at 12), nothing inside a step.
  assertEquals(r.readbacks, Math.ceil(STEPS / LOG_EVERY));
  // Every step is reported, in order, but only once its interval has been read back.
  assertEquals(
    r.reported.map((s: { step: number }) => s.step),
    [...Array(STEPS)].map((_, i) => i + 1),
  );
  const readsAt = r.reported.map((s: { readbacks: number }) => s.readbacks);
  assertEquals(readsAt, [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3]);
  // Fixed shapes: no tensor outlives its step, and the pool does not grow with the steps (it
  // grows by a few bytes only for the stacked losses of a shorter last interval and for buffers
  // still in flight when the host runs ahead of the device).
  const tensors = r.reported.map((s: { tensors: number }) => s.tensors);
  assertEquals(new Set(tensors).size, 1, `live tensors per step: ${tensors}`);
  const bytes: number[] = r.reported.map((s: { poolBytes: number }) => s.poolBytes);
  const growth = bytes.at(-1)! - bytes[0]!;
  assert(growth < 1e-3 * bytes[0]!, `pool bytes per step: ${bytes}`);
  assertEquals(r.saves, 0);
});
