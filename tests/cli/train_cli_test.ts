import { assert, assertEquals, assertRejects, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { chooseRunDir, DUPLICATE_SIGINT_MS, interruptHandler } from "../../lib/cli/train.ts";
import { KitError } from "../../lib/io/errors.ts";

const root = new URL("../../", import.meta.url).pathname;

const tiny = {
  name: "cli-tiny",
  data: { inputSize: 32, pyramidFactors: [1], workers: 0, synth: { trainSize: 400, valSize: 8 } },
  model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
  optimizer: { name: "adam", lr: 2e-3 },
  schedule: {
    batchSize: 4,
    stepsPerEpoch: 100,
    lr: { kind: "constant" },
    stages: [{ name: "main", epochs: 1 }],
  },
  eval: { batchSize: 4 },
  output: { logEvery: 1 },
};

function trainCommand(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      join(root, "deno.json"),
      join(root, "lib/cli/train.ts"),
      ...args,
    ],
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function hasSteps(path: string): Promise<boolean> {
  try {
    return (await Deno.readTextFile(path)).includes('"kind":"step"');
  } catch {
    return false;
  }
}

// The CLI picks its backend itself, so the suite's second pass (KIT_TEST_BACKEND) need not repeat it.
const secondPass = Deno.env.get("KIT_TEST_BACKEND") !== undefined;

Deno.test({
  name: "Ctrl-C writes a checkpoint and exits 130, and --resume finishes the run",
  ignore: secondPass,
}, async () => {
  const dir = await Deno.makeTempDir();
  const config = join(dir, "tiny.json");
  await Deno.writeTextFile(config, JSON.stringify(tiny));
  const run = join(dir, "run");
  const child = trainCommand(["--config", config, "--out", run, "--backend", "wasm"]);
  for (let i = 0; i < 600 && !(await hasSteps(join(run, "log.jsonl"))); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGINT");
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 130, stdout + new TextDecoder().decode(out.stderr));
  assertStringIncludes(stdout, `continue with: deno task train --resume ${run}`);
  const pointer = JSON.parse(await Deno.readTextFile(join(run, "last.json")));
  assert(pointer.step >= 1 && pointer.step < 100, `checkpoint at step ${pointer.step}`);

  const resumed = await trainCommand(["--resume", run, "--backend", "wasm"]).output();
  const text = new TextDecoder().decode(resumed.stdout);
  assertEquals(resumed.code, 0, text + new TextDecoder().decode(resumed.stderr));
  assertStringIncludes(text, `resume: ${join(run, "checkpoints")}`);
  assertStringIncludes(text, "PCKh@0.5");
  assertStringIncludes(text, "mean-pose baseline");
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "an unknown flag or config key is one clear line, not a stack trace",
  ignore: secondPass,
}, async () => {
  const bad = await trainCommand(["--epochs", "3"]).output();
  assertEquals(bad.code, 2);
  assertStringIncludes(new TextDecoder().decode(bad.stderr), 'error: unknown flag "--epochs"');
  const key = await trainCommand(["--set", "optimizer.lrr=1"]).output();
  const err = new TextDecoder().decode(key.stderr);
  assertEquals(key.code, 2);
  assertStringIncludes(err, 'unknown config key "optimizer.lrr"');
  assert(!err.includes("    at "), err);
});

Deno.test("a new run never lands on an earlier one: the default directory moves on, a named one is refused", async () => {
  const dir = await Deno.makeTempDir();
  const named = join(dir, "hg");
  assertEquals(await chooseRunDir({ requested: named, explicit: true, overwrite: false }), named);
  await Deno.mkdir(named);
  await Deno.writeTextFile(join(named, "log.jsonl"), "");
  const refused = await assertRejects(
    () => chooseRunDir({ requested: named, explicit: true, overwrite: false }),
    KitError,
  );
  assertStringIncludes(refused.message, `--resume ${named}`);
  assertEquals(await chooseRunDir({ requested: named, explicit: true, overwrite: true }), named);
  assertEquals(
    await chooseRunDir({ requested: named, explicit: false, overwrite: false }),
    `${named}-2`,
  );
  await Deno.mkdir(`${named}-2`);
  await Deno.writeTextFile(join(`${named}-2`, "last.json"), "{}");
  assertEquals(
    await chooseRunDir({ requested: named, explicit: false, overwrite: false }),
    `${named}-3`,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("one Ctrl-C delivered twice at once (deno task forwards it) stops with a checkpoint, not a quit", () => {
  let t = 0, quits = 0, notices = 0;
  const controller = new AbortController();
  const handler = interruptHandler(controller, {
    now: () => t,
    quit: () => quits++,
    notice: () => notices++,
  });
  handler();
  t = 5; // the forwarded copy
  handler();
  assertEquals([controller.signal.aborted, notices, quits], [true, 1, 0]);
  t = 5 + DUPLICATE_SIGINT_MS; // a real second press
  handler();
  assertEquals(quits, 1);
});

Deno.test({
  name: "an --out that is a file fails in one line before training starts",
  ignore: secondPass,
}, async () => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "notes.txt");
  await Deno.writeTextFile(file, "mine");
  const out = await trainCommand(["--out", file]).output();
  const err = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 2, err);
  assertStringIncludes(err, `error: ${file}: --out names a file, not a folder`);
  assert(!err.includes("    at "), err);
  assertEquals(await Deno.readTextFile(file), "mine");
  await Deno.remove(dir, { recursive: true });
});
