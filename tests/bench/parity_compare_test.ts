import { assert, assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import { runParity } from "../../bench/parity.ts";
import { compareRuns, formatComparison, replayKit } from "../../bench/parity_compare.ts";
import { findTorchPython } from "../../bench/torch.ts";
import { useTestBackend } from "../../lib/testing/backend.ts";
import { resolveExperiment } from "../../lib/train/config.ts";

const BACKEND_TEST = { sanitizeOps: false, sanitizeResources: false };

/** A 1-stack, 8-feature hourglass on 32 px crops: a few seconds per side. */
function tinyExperiment() {
  return resolveExperiment({
    data: {
      dataset: "synth",
      inputSize: 32,
      pyramidFactors: [1],
      workers: 0,
      synth: { trainSize: 64, valSize: 8 },
    },
    model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
    optimizer: { name: "rmsprop", lr: 2.5e-4 },
    schedule: { batchSize: 4, stepsPerEpoch: 4, stages: [{ name: "main", epochs: 1 }] },
  });
}

async function writeRun(dir: string, tag: string, losses: number[]) {
  await Deno.writeTextFile(join(dir, `${tag}_result.json`), JSON.stringify({ losses }));
}

Deno.test("every run of a parity directory is measured against the float64 twin", async () => {
  const cfg = tinyExperiment();
  const dir = await Deno.makeTempDir({ prefix: "posekit-compare-test-" });
  try {
    await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify({ model: cfg.model }));
    // 12 steps: the float64 reference is 1 throughout; "torch" sits 1e-4 off, the kit parts
    // at step 11 (2e-3 relative) and ends 1e-2 off.
    const ref = Array.from({ length: 12 }, () => 1);
    await writeRun(dir, "torch64", ref);
    await writeRun(dir, "torch", ref.map(() => 1 + 1e-4));
    await writeRun(dir, "kit", ref.map((_, i) => (i < 10 ? 1 - 1e-5 : i === 10 ? 1.002 : 1.01)));
    const rows = await compareRuns(cfg, dir);
    assertEquals(rows.map((r) => r.tag), ["torch64", "torch", "kit"]);
    const kit = rows[2]!;
    assertEquals(kit.firstAbove1e3, 11);
    assertAlmostEquals(kit.lastRelDiff, 1e-2, 1e-12);
    assertAlmostEquals(kit.medianRelDiff[0], 1e-5, 1e-12);
    // Steps 11-12: 2e-3 and 1e-2, median their mean.
    assertAlmostEquals(kit.medianRelDiff[1], 6e-3, 1e-12);
    assertEquals(rows[1]!.firstAbove1e3, 0, "a run never above 1e-3 reports 0");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a directory without the float64 twin's run is refused with its name", async () => {
  const cfg = tinyExperiment();
  const dir = await Deno.makeTempDir({ prefix: "posekit-compare-test-" });
  try {
    await Deno.writeTextFile(join(dir, "manifest.json"), JSON.stringify({ model: cfg.model }));
    await writeRun(dir, "kit", [1]);
    await assertRejects(() => compareRuns(cfg, dir), Error, "torch64_result.json");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the comparison states the PyTorch runs' PCKh spread and where the kit sits", () => {
  const row = (tag: string, pckh: number) => ({
    tag,
    lastLoss: 1,
    lastRelDiff: 0,
    medianRelDiff: [0, 0, 0] as const,
    firstAbove1e3: 0,
    pckh,
  });
  const inside = formatComparison([row("torch64", 50), row("torch", 54), row("kit", 53)]);
  assert(inside.includes("spread 4.00 points"), inside);
  assert(inside.includes("all inside"), inside);
  const outside = formatComparison([row("torch64", 50), row("torch", 51), row("kit", 53.5)]);
  assert(outside.includes("at most 2.50 points outside"), outside);
});

const torch = await findTorchPython();

Deno.test({
  name: "replaying a parity run's batches on the same backend reproduces the kit's losses",
  ignore: "skipped" in torch,
  ...BACKEND_TEST,
  fn: async () => {
    await useTestBackend("wasm");
    const cfg = tinyExperiment();
    const dir = await Deno.makeTempDir({ prefix: "posekit-replay-test-" });
    try {
      const r = await runParity(cfg, {
        steps: 3,
        python: (torch as { python: string }).python,
        dir,
      });
      const replayed = await replayKit(cfg, dir, "kit-again");
      // Same weights, batches, learning rates and kernels: the same arithmetic.
      assertEquals(replayed, [...r.kitLosses]);
      const rows = await compareRuns(cfg, dir);
      assertEquals(rows.map((x) => x.tag).sort(), ["kit", "kit-again", "torch", "torch64"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
