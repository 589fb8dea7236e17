import { assertAlmostEquals, assertEquals, assertRejects } from "@std/assert";
import { join } from "@std/path";
import * as tf from "@tensorflow/tfjs";
import {
  getLearningRate,
  makeOptimizer,
  optimizerDefaults,
  setLearningRate,
} from "../../lib/train/optimizer.ts";
import { readRunLog, RunLog } from "../../lib/train/log.ts";
import { KitError } from "../../lib/io/errors.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

Deno.test("each optimiser takes a new learning rate that the next step uses", async () => {
  const stepWith = async (opt: tf.Optimizer) => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    for (let i = 0; i < 2; i++) opt.minimize(() => w.square().sum() as tf.Scalar);
    const v = Array.from(await w.data());
    w.dispose();
    return v;
  };
  for (const name of ["rmsprop", "adam", "sgd"] as const) {
    for (const momentum of [0, 0.9]) {
      const changed = makeOptimizer({ ...optimizerDefaults, name, momentum, lr: 0.1 });
      setLearningRate(changed, 0.01);
      assertAlmostEquals(getLearningRate(changed), 0.01, 1e-12);
      const fresh = makeOptimizer({ ...optimizerDefaults, name, momentum, lr: 0.01 });
      assertEquals(await stepWith(changed), await stepWith(fresh), `${name} momentum ${momentum}`);
      changed.dispose();
      fresh.dispose();
    }
  }
});

Deno.test("the run log appends lines, reads them back and truncates after a step", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "log.jsonl");
  const log = new RunLog(path);
  const time = "2026-01-01T00:00:00Z";
  for (const step of [1, 2, 3]) {
    await log.append({ kind: "event", step, message: `s${step}`, time });
  }
  assertEquals((await readRunLog(path)).map((r) => r.step), [1, 2, 3]);
  await log.truncateAfter(2);
  assertEquals((await readRunLog(path)).map((r) => r.step), [1, 2]);
  await Deno.writeTextFile(path, "{bad\n", { append: true });
  await assertRejects(() => readRunLog(path), KitError, "log.jsonl:3: not a JSON record");
  await Deno.remove(dir, { recursive: true });
});
