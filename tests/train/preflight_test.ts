import { assert, assertEquals, assertGreater, assertRejects } from "@std/assert";
import { KitError } from "../../lib/io/errors.ts";
import { lossDefaults } from "../../lib/losses/mod.ts";
import { resolveModelConfig } from "../../lib/models/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";
import { checkStepFits, estimateStepFit } from "../../lib/train/preflight.ts";

await useTestBackend();

const model = resolveModelConfig({ inputSize: 16, depth: 2, stacks: 1, features: 8 });
const roomy = { bytes: 2 ** 40, what: "a fake 1 TiB limit", perBuffer: false };

Deno.test("a step that cannot fit stops before training with one line: need, limit, what to change", async () => {
  // Room for three samples (what batch 3 is estimated to need), asked for eight.
  const three = await estimateStepFit({ model, batchSize: 3, loss: lossDefaults, limit: roomy });
  const bytes = Math.ceil(three.needBytes);
  const limit = { bytes, what: "a fake small heap", perBuffer: false };
  const e = await assertRejects(
    () => checkStepFits({ model, batchSize: 8, loss: lossDefaults, limit }),
    KitError,
  );
  assertEquals(e.message.split("\n").length, 1);
  for (
    const part of [
      "batch 8",
      "needs about",
      "a fake small heap",
      "schedule.batchSize to",
      "inputSize",
    ]
  ) {
    assert(e.message.includes(part), `"${part}" missing from: ${e.message}`);
  }
  const max = Number(/batchSize to (\d+)/.exec(e.message)![1]);
  assertEquals(max, 3, e.message);
  const fits = await checkStepFits({ model, batchSize: max, loss: lossDefaults, limit });
  assert(fits.fits);
  assertEquals(fits.needBytes, three.needBytes);
  assertGreater(three.maxBatch, 1000); // under the roomy limit
});

Deno.test("the check leaks no tensors and says when not even batch 1 fits", async () => {
  await assertNoLeaks(async () => {
    const limit = { bytes: 1024, what: "a fake 1 KiB heap", perBuffer: false };
    const e = await assertRejects(
      () => checkStepFits({ model, batchSize: 2, loss: lossDefaults, limit }),
      KitError,
    );
    assert(e.message.includes("even batch 1 does not fit"), e.message);
  });
});
