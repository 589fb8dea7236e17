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

Deno.test("each optimiser takes a new learning rate that the next step uses", () => {
  for (const name of ["rmsprop", "adam", "sgd"] as const) {
    for (const momentum of [0, 0.9]) {
      const opt = makeOptimizer({ ...optimizerDefaults, name, momentum, lr: 0.1 });
      setLearningRate(opt, 0.01);
      assertAlmostEquals(getLearningRate(opt), 0.01, 1e-12);
      if (name === "sgd" && momentum === 0) {
        // Plain SGD: one step moves w by exactly -lr * grad.
        const w = tf.variable(tf.scalar(1));
        opt.minimize(() => w.mul(3).sum() as tf.Scalar);
        assertAlmostEquals(w.dataSync()[0]!, 1 - 0.01 * 3, 1e-6); // cpu backend: sync read is fine
        w.dispose();
      }
      opt.dispose();
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
