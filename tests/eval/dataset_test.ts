import { assert, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { dataConfig } from "../../lib/data/config.ts";
import { openDataset } from "../../lib/data/open.ts";
import { createPipeline, disposeBatch } from "../../lib/data/pipeline.ts";
import { evaluateSplit, type PredictFn } from "../../lib/eval/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

// SynthPose people on 32 px crops (8 px maps) with MSSH's targets: several joints occluded.
const cfg = dataConfig({
  inputSize: 32,
  synth: { valSize: 4 },
  workers: 0,
  occludedTarget: "negative",
});
const options = { stride: 4, metric: { kind: "pckh", alpha: 0.5 } as const };

/**
 * A perfect model: it answers each evaluation batch with that batch's own ground-truth maps,
 * which the evaluation pipeline reproduces exactly (no augmentation, dataset order).
 */
async function oracle(): Promise<{ predict: PredictFn; weights: number[]; close(): void }> {
  const ds = await openDataset(cfg, "val");
  const truth = createPipeline(ds, cfg, { mode: "eval", batchSize: 2 });
  const maps: tf.Tensor4D[] = [];
  const weights: number[] = [];
  for await (const b of truth.epoch(0)) {
    maps.push(b.targets[0]!.clone());
    weights.push(...await b.weights.data());
    disposeBatch(b);
  }
  truth.close();
  let k = 0;
  return {
    predict: () => Promise.resolve(maps[k++ % maps.length]!.clone()),
    weights,
    close: () => tf.dispose(maps),
  };
}

Deno.test("evaluation decodes MSSH's signed maps: occluded joints are found and flagged", async () => {
  const ds = await openDataset(cfg, "val");
  const o = await oracle();
  const run = (signed: boolean) =>
    evaluateSplit(o.predict, createPipeline(ds, cfg, { mode: "eval", batchSize: 2 }), {
      ...options,
      signed,
    });
  const signed = await run(true);
  const unsigned = await run(false);
  const vis = signed.gt.visibility;
  let occluded = 0;
  o.weights.forEach((w, k) => {
    if (w === 0) return;
    // The flag is exactly the ground truth's occlusion, and the confidence is |h| at the peak.
    assertEquals(signed.occluded![k], vis[k] === 1 ? 1 : 0, `joint ${k}`);
    assert(signed.confidence[k]! > 0.5, `joint ${k}: confidence ${signed.confidence[k]}`);
    if (vis[k] === 1) {
      occluded++;
      // Read unsigned, a negative map's maximum is its zero background, not the joint.
      assertEquals(unsigned.confidence[k], 0);
    }
  });
  assert(occluded >= 3, `only ${occluded} occluded joints in the fixture`);
  assertEquals(unsigned.occluded, undefined);
  assert(
    (signed.result.mean ?? 0) > (unsigned.result.mean ?? 0),
    `signed ${signed.result.mean} vs unsigned ${unsigned.result.mean}`,
  );
  await assertNoLeaks(async () => {
    await run(true);
  }, "evaluateSplit signed");
  o.close();
});
