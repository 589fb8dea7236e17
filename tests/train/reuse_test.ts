import { assertEquals, assertStringIncludes } from "@std/assert";
import { join } from "@std/path";
import { resolveExperiment } from "../../lib/train/config.ts";
import { trainOrReuse, whyNotReusable } from "../../lib/train/reuse.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend("wasm");

const cfg = resolveExperiment({
  name: "reuse",
  data: { inputSize: 32, pyramidFactors: [1], workers: 0, synth: { trainSize: 8, valSize: 4 } },
  model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
  schedule: {
    batchSize: 4,
    stepsPerEpoch: 2,
    lr: { kind: "constant" },
    stages: [{ name: "main", epochs: 1 }],
  },
  eval: { batchSize: 4 },
});
const quiet = { live: false, progressEverySeconds: 3600 };

Deno.test("a finished run with the same config is loaded, not trained again", async () => {
  const runDir = await Deno.makeTempDir();
  const lines: string[] = [];
  const first = await trainOrReuse(cfg, { runDir, ...quiet, log: (l) => lines.push(l) });
  assertEquals(first.reused, false);
  assertStringIncludes(lines[0]!, "no readable config.json");
  assertEquals(first.result?.losses.length, 2);
  assertEquals(await whyNotReusable(runDir, cfg), null);
  const second = await trainOrReuse(cfg, { runDir, ...quiet, log: () => {} });
  assertEquals(second.reused, true);
  assertEquals(second.trained.state.step, 2);
  const w1 = await first.trained.net.graph.getWeights()[0]!.data();
  const w2 = await second.trained.net.graph.getWeights()[0]!.data();
  assertEquals(Array.from(w2), Array.from(w1));
  first.trained.net.graph.dispose();
  second.trained.net.graph.dispose();
  await Deno.remove(runDir, { recursive: true });
});

Deno.test("a run with another config or stopped early is not reusable, and says why", async () => {
  const runDir = await Deno.makeTempDir();
  const longer = resolveExperiment({
    ...cfg,
    schedule: { ...cfg.schedule, stages: [{ ...cfg.schedule.stages[0]!, epochs: 2 }] },
  });
  await Deno.writeTextFile(join(runDir, "config.json"), JSON.stringify(cfg));
  assertEquals(await whyNotReusable(runDir, longer), "its config.json differs");
  assertEquals(await whyNotReusable(runDir, cfg), "no last checkpoint");
  // A checkpoint after epoch 1 of 2: the run did not finish.
  const ckpt = join(runDir, "checkpoints", "step-1");
  await Deno.mkdir(ckpt, { recursive: true });
  await Deno.writeTextFile(join(ckpt, "model.json"), "{}");
  await Deno.writeFile(join(ckpt, "weights.bin"), new Uint8Array(4));
  await Deno.writeTextFile(join(ckpt, "config.json"), JSON.stringify(longer));
  await Deno.writeTextFile(join(ckpt, "state.json"), JSON.stringify({ step: 2, epoch: 1 }));
  await Deno.writeTextFile(
    join(runDir, "last.json"),
    JSON.stringify({ dir: "checkpoints/step-1" }),
  );
  await Deno.writeTextFile(join(runDir, "config.json"), JSON.stringify(longer));
  assertEquals(await whyNotReusable(runDir, longer), "it stopped after 1 of 2 epochs");
  await Deno.remove(runDir, { recursive: true });
});
