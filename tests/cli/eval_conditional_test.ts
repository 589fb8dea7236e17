import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { resolveExperiment } from "../../lib/train/config.ts";
import { train } from "../../lib/train/loop.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend("wasm");

const root = new URL("../../", import.meta.url).pathname;

// The CLI picks its backend itself, so the suite's second pass (KIT_TEST_BACKEND) need not repeat it.
const secondPass = Deno.env.get("KIT_TEST_BACKEND") !== undefined;

Deno.test({
  name: "deno task eval --conditional fits τc and τs on part of validation and reports both scores",
  ignore: secondPass,
}, async () => {
  const runDir = await Deno.makeTempDir();
  const cfg = resolveExperiment({
    name: "cond-tiny",
    data: { inputSize: 32, pyramidFactors: [1], workers: 0, synth: { trainSize: 8, valSize: 8 } },
    model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
    optimizer: { name: "adam", lr: 2e-3 },
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 1,
      lr: { kind: "constant" },
      stages: [{ name: "main", epochs: 1 }],
    },
    eval: { batchSize: 4 },
  });
  await train(cfg, { runDir, log: () => {}, live: false });
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      join(root, "deno.json"),
      join(root, "lib/cli/eval.ts"),
      "--checkpoint",
      runDir,
      "--conditional",
      "--fit-fraction",
      "0.5",
      "--json",
      "--backend",
      "wasm",
    ],
    cwd: root,
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertStringIncludes(stdout, "conditional testing: τc and τs fitted on the first 4 people");
  assertStringIncludes(stdout, "retrials:");
  const json = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assertEquals([json.conditional.fitPeople, json.conditional.scoredPeople], [4, 4]);
  const f = json.conditional.retrialFraction;
  assert(f >= 0 && f <= 1, `retrial fraction ${f}`);
  assertEquals(json.conditional.tauC.length, 16);
  assert(typeof json.conditional.with.Mean === "number" || json.conditional.with.Mean === null);
  await Deno.remove(runDir, { recursive: true });
});
