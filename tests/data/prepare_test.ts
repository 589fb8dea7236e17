import { assert, assertEquals } from "@std/assert";
import { dataConfig } from "../../lib/data/config.ts";
import { openDataset } from "../../lib/data/open.ts";
import { createPipeline, disposeBatch } from "../../lib/data/pipeline.ts";
import { type PreparedSample, prepareSample } from "../../lib/data/prepare.ts";
import { encodePyramid, keypointsToMap } from "../../lib/heatmap/mod.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

// 32 px crops, 8 px maps: SynthPose's first validation people hold occluded joints (v = 1).
const over = { inputSize: 32, synth: { valSize: 4 }, workers: 0 };
const positive = dataConfig(over);
const negative = dataConfig({ ...over, occludedTarget: "negative" });

/** Channel `j` of a `[h, w, J]` map. */
const channel = (map: Float32Array, j: number, nj = 16) =>
  Array.from({ length: map.length / nj }, (_, p) => map[p * nj + j]!);

async function prepared(cfg: typeof positive): Promise<PreparedSample[]> {
  const ds = await openDataset(cfg, "val");
  return await Promise.all(
    [0, 1, 2, 3].map(async (i) =>
      prepareSample(await ds.get(i), cfg, { index: i, seed: 5, train: false, crop: ds.crop })
    ),
  );
}

Deno.test("MSSH targets: an occluded SynthPose joint is negative at every level, others unchanged", async () => {
  const pos = await prepared(positive);
  const neg = await prepared(negative);
  let occluded = 0, visible = 0;
  pos.forEach((p, i) => {
    const n = neg[i]!;
    assertEquals(n.weights, p.weights);
    n.meta.keypoints.forEach(([, , v], j) => {
      if (p.weights[j] === 0) {
        // Missing or off the crop: all zero either way.
        n.heatmaps.forEach((h) => assert(channel(h, j).every((x) => x === 0)));
        return;
      }
      if (v === 1) occluded++;
      else visible++;
      p.heatmaps.forEach((h, level) => {
        const want = channel(h, j).map((x) => (v === 1 ? -x : x));
        const got = channel(n.heatmaps[level]!, j);
        assertEquals(got.map((x) => x || 0), want.map((x) => x || 0), `sample ${i} joint ${j}`);
        if (level === 0) {
          // The full-resolution map peaks near ±1 at the joint (a quarter pixel off at most).
          const peak = v === 1 ? Math.min(...got) : Math.max(...got);
          assert(Math.abs(peak) > 0.75, `sample ${i} joint ${j}: peak ${peak}`);
          assertEquals(Math.sign(peak), v === 1 ? -1 : 1);
        }
      });
    });
  });
  // The fixture must exercise both kinds, or the test could not fail.
  assert(occluded >= 5 && visible >= 5, `${occluded} occluded, ${visible} visible joints`);
});

Deno.test("with occludedTarget positive, targets are the plain pyramid of the crop's joints", async () => {
  for (const p of await prepared(positive)) {
    const levels = encodePyramid(
      keypointsToMap(p.meta.keypoints, positive.outputStride),
      { width: 8, height: 8, sigma: positive.sigma },
      positive.pyramidFactors,
    );
    levels.forEach((l, k) => assertEquals(p.heatmaps[k], l.heatmaps));
    assert(p.heatmaps[0]!.every((x) => x >= 0));
  }
});

Deno.test("a pipeline batch carries the negative targets to the backend", async () => {
  const ds = await openDataset(negative, "val");
  const pipe = createPipeline(ds, negative, { mode: "eval", batchSize: 4 });
  const batch = await pipe.batchOf([0, 1, 2, 3]);
  try {
    const t = await batch.targets[0]!.data(); // [4, 8, 8, 16]
    const own = await prepared(negative);
    assertEquals(t, new Float32Array(own.flatMap((p) => Array.from(p.heatmaps[0]!))));
    assert(t.some((x) => x < -0.75));
  } finally {
    disposeBatch(batch);
    pipe.close();
  }
});
