import { assertEquals } from "@std/assert";
import { openValidator, type Validator } from "../../lib/eval/validate.ts";
import { readCheckpointMeta, resolveCheckpoint } from "../../lib/train/checkpoint.ts";
import { resolveExperiment } from "../../lib/train/config.ts";
import { train } from "../../lib/train/loop.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend("wasm");

Deno.test("a run validates through the validator it is given, keeps its scores, and closes it", async () => {
  const cfg = resolveExperiment({
    name: "tiny",
    data: { inputSize: 32, pyramidFactors: [1], workers: 0, synth: { trainSize: 8, valSize: 4 } },
    model: { kind: "hourglass", inputSize: 32, stacks: 1, features: 8, depth: 2 },
    schedule: {
      batchSize: 4,
      stepsPerEpoch: 1,
      lr: { kind: "constant" },
      stages: [{ name: "main", epochs: 3 }],
    },
    eval: { batchSize: 4, every: 2 },
  });
  const calls: { from: string; step: number }[] = [];
  const scores: number[] = [];
  let closed = 0;
  let steps = 0;
  const runDir = await Deno.makeTempDir();
  const r = await train(cfg, {
    runDir,
    log: () => {},
    live: false,
    onStep: () => {
      steps++;
    },
    validation: async (c): Promise<Validator> => {
      const inner = await openValidator(c, { live: false });
      return {
        ...inner,
        run: async (net, from) => {
          calls.push({ from, step: steps });
          const ev = await inner.run(net, from);
          scores.push(ev.result.mean ?? 0);
          return ev;
        },
        close: () => {
          closed++;
          inner.close();
        },
      };
    },
  });
  // eval.every 2 of 3 epochs: after epoch 2, and after the last.
  assertEquals(calls, [{ from: "final", step: 2 }, { from: "final", step: 3 }]);
  assertEquals(closed, 1);
  assertEquals(r.state.scores, scores);
  assertEquals(r.state.extra?.scoreEpochs, [1, 2]);
  const best = await readCheckpointMeta(await resolveCheckpoint(runDir, "best"));
  assertEquals(best.state.bestScore, Math.max(...scores));
  await Deno.remove(runDir, { recursive: true });
});
