/**
 * Leak checking for tensor code: every forward path and training step in the kit has a test that
 * runs it through {@link assertNoLeaks}.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/**
 * Runs `fn`, disposes whatever tensors it returns (any nesting of arrays and objects), and
 * throws if the number of live tensors changed: `fn` leaked intermediates or kept tensors
 * alive somewhere else. Returns the number of tensors `fn` returned, so a test can also check
 * that something was produced.
 *
 * @example
 * ```ts
 * await assertNoLeaks(() => model.apply(x) as tf.Tensor, "hourglass forward");
 * ```
 */
export async function assertNoLeaks(
  fn: () => tf.TensorContainer | void | Promise<tf.TensorContainer | void>,
  label = "function",
): Promise<number> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const returned = countTensors(result);
  tf.dispose(result as tf.TensorContainer);
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(
      `${label} leaked ${after - before} tensor(s): ${before} live before, ${after} after ` +
        `(its ${returned} returned tensor(s) were disposed)`,
    );
  }
  return returned;
}

function countTensors(v: unknown, seen = new Set<unknown>()): number {
  if (v instanceof tf.Tensor) return 1;
  if (v === null || typeof v !== "object" || seen.has(v)) return 0;
  seen.add(v);
  const values = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
  return values.reduce((n: number, x) => n + countTensors(x, seen), 0);
}
