import { assert, assertEquals, assertRejects } from "@std/assert";
import { KitError } from "../../lib/io/errors.ts";
import { lockRunDir } from "../../lib/train/lock.ts";
import { join } from "@std/path";
import {
  CHECKPOINT_PHASES,
  readCheckpointMeta,
  resolveCheckpoint,
  verifyCheckpoint,
} from "../../lib/train/checkpoint.ts";
import { readRunLog, type StepRecord } from "../../lib/train/log.ts";
import { train } from "../../lib/train/loop.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";
import { faultExperiment, quiet } from "./tiny.ts";

await useTestBackend("wasm");

/** The 4th checkpoint write rewrites step 3 at the first epoch's end; GC then has work. */
const REWRITE = 4;

/** Every path under a directory, relative, sorted. */
async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory) out.push(...await listTree(dir, rel));
  }
  return out.sort();
}

async function stepLosses(runDir: string): Promise<number[]> {
  return (await readRunLog(join(runDir, "log.jsonl")))
    .filter((r): r is StepRecord => r.kind === "step")
    .map((r) => r.loss);
}

const unbrokenDir = await Deno.makeTempDir();
const unbroken = await train(faultExperiment(), { runDir: unbrokenDir, ...quiet });

for (const phase of CHECKPOINT_PHASES) {
  Deno.test(`a run killed at "${phase}" of a checkpoint rewrite resumes to the unbroken run's losses with nothing lost`, async () => {
    const runDir = await Deno.makeTempDir();
    const child = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./child.ts", import.meta.url).pathname,
        runDir,
        phase,
        `${REWRITE}`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(
      child.signal,
      "SIGKILL",
      new TextDecoder().decode(child.stdout) + new TextDecoder().decode(child.stderr),
    );

    // Right after the kill: last.json names a complete checkpoint, step 3 (old or new copy).
    const last = await resolveCheckpoint(runDir, "last");
    await verifyCheckpoint(last);
    assertEquals((await readCheckpointMeta(last)).state.step, 3);
    const before = await listTree(runDir);

    const rest = await train(faultExperiment(), { runDir, resume: true, ...quiet });
    assertEquals(rest.state.scores, unbroken.state.scores);
    assertEquals(await stepLosses(runDir), [...unbroken.losses]);
    assertEquals((await readRunLog(join(runDir, "log.jsonl"))).map((r) => r.step), [
      1,
      2,
      3,
      3,
      4,
      5,
      6,
      6,
    ]);
    const after = await listTree(runDir);
    // Nothing a writer left half-done survives the resume, and the run's files are all there.
    assertEquals(after.filter((p) => p.split("/").pop()!.startsWith(".")), []);
    for (const file of ["config.json", "log.jsonl", "last.json", "best.json"]) {
      assert(after.includes(file), `${file} missing after resume: ${after}`);
    }
    assert(!after.includes("run.lock"), "the lock outlived the run");
    for (const pointer of ["last", "best"] as const) {
      await verifyCheckpoint(await resolveCheckpoint(runDir, pointer));
    }
    assert(before.includes("last.json"), `last.json lost by the kill: ${before}`);
    await Deno.remove(runDir, { recursive: true });
  });
}

Deno.test("the unbroken reference run leaves complete checkpoints and no temporaries", async () => {
  const files = await listTree(unbrokenDir);
  assertEquals(files.filter((p) => p.split("/").pop()!.startsWith(".")), []);
  assertEquals(unbroken.losses.length, 6);
  await Deno.remove(unbrokenDir, { recursive: true });
});

Deno.test("a second training into a run directory in use is refused before it writes anything", async () => {
  const runDir = await Deno.makeTempDir();
  const lock = await lockRunDir(runDir);
  try {
    await assertRejects(
      () => train(faultExperiment(), { runDir, ...quiet }),
      KitError,
      "already being trained",
    );
    assertEquals(await listTree(runDir), ["run.lock"]);
  } finally {
    await lock.release();
  }
  await Deno.remove(runDir, { recursive: true });
});
