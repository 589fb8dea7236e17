/**
 * A training run that SIGKILLs itself at one phase of one checkpoint write, for the fault suite:
 * `deno run -A tests/faults/child.ts <runDir> <phase> <write number>`. Killing from the
 * checkpoint writer's fault hook hits the exact instant, with no timing race.
 *
 * @module
 */

import { type CheckpointPhase, setCheckpointFaultHook } from "../../lib/train/checkpoint.ts";
import { train } from "../../lib/train/loop.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { faultExperiment, quiet } from "./tiny.ts";

const [runDir, phase, write] = Deno.args as [string, CheckpointPhase, string];
await useTestBackend("wasm");
let writes = 0;
setCheckpointFaultHook((at) => {
  if (at === "start") writes++;
  if (at === phase && writes === Number(write)) Deno.kill(Deno.pid, "SIGKILL");
});
await train(faultExperiment(), { runDir, ...quiet });
// Reaching here means the hook never fired: the test reports it.
console.log("finished without being killed");
