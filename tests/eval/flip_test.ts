import { assertAlmostEquals, assertEquals } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { flipHeatmaps, predictWithFlip } from "../../lib/eval/mod.ts";
import { FLIP_INDEX, J } from "../../lib/skeleton/mod.ts";
import { assertNoLeaks, useTestBackend } from "../../lib/testing/mod.ts";
import { blobModel } from "./fakes.ts";

await useTestBackend();

async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

Deno.test("flipping heatmaps twice gives them back", async () => {
  const h = tf.randomUniform([2, 4, 6, 16], 0, 1, "float32", 3) as tf.Tensor4D;
  const twice = tf.tidy(() => flipHeatmaps(flipHeatmaps(h)));
  assertEquals(await values(twice), await values(h));
  tf.dispose([h, twice]);
});

Deno.test("a flip mirrors the width and moves the right wrist's peak to the left wrist", async () => {
  const data = new Float32Array(1 * 2 * 5 * 16);
  data[(0 * 5 + 1) * 16 + J.r_wrist] = 1; // (x 1, y 0), right wrist
  const h = tf.tensor4d(data, [1, 2, 5, 16]);
  const f = flipHeatmaps(h);
  const out = await values(f);
  assertEquals(out[(0 * 5 + 3) * 16 + J.l_wrist], 1); // x 5 - 1 - 1 = 3
  assertEquals(out.reduce((a, b) => a + b, 0), 1);
  // pytorch-pose's shift: one pixel to the right.
  const s = flipHeatmaps(h, FLIP_INDEX, true);
  assertEquals((await values(s))[(0 * 5 + 4) * 16 + J.l_wrist], 1);
  tf.dispose([h, f, s]);
});

Deno.test("the flip test averages each joint with its mirror twin and puts peaks back in place", async () => {
  // Joint j's map is the pooled red channel times w_j, with left and right weights different.
  const weights = Array.from({ length: 16 }, (_, j) => 1 + j);
  const predict = blobModel(2, weights);
  const crops = tf.tidy(() => {
    const red = new Float32Array(8 * 8);
    red[1 * 8 + 1] = 1; // off-centre, so a missing flip-back would show
    return tf.concat([tf.tensor4d(red, [1, 8, 8, 1]), tf.zeros([1, 8, 8, 2])], 3) as tf.Tensor4D;
  });
  const plain = await predict(crops);
  const both = await predictWithFlip(predict, crops);
  const p = await values(plain), b = await values(both);
  for (let k = 0; k < p.length; k++) {
    const j = k % 16;
    const want = (p[k]! / weights[j]!) * (weights[j]! + weights[FLIP_INDEX[j]!]!) / 2;
    assertAlmostEquals(b[k]!, want, 1e-6);
  }
  await assertNoLeaks(() => predictWithFlip(predict, crops), "predictWithFlip");
  await assertNoLeaks(() => flipHeatmaps(plain, FLIP_INDEX, true), "flipHeatmaps");
  tf.dispose([crops, plain, both]);
});
