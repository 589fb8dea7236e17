import { assertEquals, assertRejects } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

Deno.test("a tidy function passes and its returned tensors are counted and disposed", async () => {
  const before = tf.memory().numTensors;
  const n = await assertNoLeaks(() => tf.tidy(() => [tf.ones([2]).add(1), { a: tf.zeros([1]) }]));
  assertEquals(n, 2);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("a function that keeps an intermediate alive fails with the count", async () => {
  let kept: tf.Tensor | undefined;
  await assertRejects(
    () =>
      assertNoLeaks(() => {
        kept = tf.ones([3]);
        return kept.mul(2);
      }, "leaky"),
    Error,
    "leaky leaked 1 tensor(s)",
  );
  kept?.dispose();
});
