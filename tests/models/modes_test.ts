import { assert, assertEquals, assertThrows } from "@std/assert";
import * as tf from "@tensorflow/tfjs";
import { KitError } from "../../lib/io/errors.ts";
import {
  buildModel,
  forward,
  type PoseModel,
  resolveModelConfig,
  setTrainable,
} from "../../lib/models/mod.ts";
import { useTestBackend } from "../../lib/testing/mod.ts";

await useTestBackend();

const cfg = (kind: string) =>
  resolveModelConfig({
    kind,
    inputSize: 64,
    stacks: 1,
    features: 8,
    ...(kind === "mss-msr"
      ? { factors: [1, 2], msr: { features: 8, depth: 2, factors: [1] } }
      : {}),
  });

/** Moving means of the BatchNorm layers whose name matches, as one flat array. */
async function movingMeans(net: PoseModel, match: RegExp): Promise<number[]> {
  const layers = net.graph.layers
    .filter((l) => match.test(l.name) && l.getClassName() === "BatchNormalization");
  const values = await Promise.all(layers.map((l) => l.getWeights()[2]!.data()));
  return values.flatMap((v) => Array.from(v));
}

const maxAbsDiff = async (a: tf.Tensor, b: tf.Tensor) =>
  (await tf.max(tf.abs(tf.sub(a, b))).data())[0]!;

const batch = () =>
  tf.concat([
    tf.randomUniform([1, 64, 64, 3], 0, 1, "float32", 1),
    tf.fill([1, 64, 64, 3], 0.9),
    tf.randomUniform([1, 64, 64, 3], 0, 0.2, "float32", 2),
  ]) as tf.Tensor4D;

Deno.test("a training-mode pass updates BatchNorm's moving means and an inference pass does not", async () => {
  const net = buildModel(cfg("hourglass"), { seed: 1 });
  const x = batch();
  const start = await movingMeans(net, /./);
  assert(start.every((v) => v === 0));
  tf.dispose(forward(net, x, false));
  assertEquals(await movingMeans(net, /./), start);
  tf.dispose(forward(net, x, true));
  const after = await movingMeans(net, /./);
  assert(after.some((v) => v !== 0), "training mode left every moving mean at 0");
  tf.dispose(forward(net, x, false));
  assertEquals(await movingMeans(net, /./), after);
  x.dispose();
});

Deno.test("in inference a sample's heatmaps do not depend on the rest of its batch", async () => {
  const net = buildModel(cfg("mss"), { seed: 2 });
  const x = batch();
  // Give the moving statistics non-trivial values first.
  for (let i = 0; i < 2; i++) tf.dispose(forward(net, x, true));
  const first = x.slice([0, 0, 0, 0], [1, 64, 64, 3]);
  const alone = forward(net, first, false);
  const together = forward(net, x, false);
  for (const [i, h] of alone.stacks[0]!.entries()) {
    const mine = together.stacks[0]![i]!.slice([0, 0, 0, 0], [1, ...h.shape.slice(1)]);
    const diff = await maxAbsDiff(h, mine);
    assert(diff < 1e-5, `factor ${alone.factors[i]}: differs by ${diff}`);
  }
  // The same comparison in training mode does differ: batch statistics couple the samples.
  const aloneT = forward(net, first, true);
  const togetherT = forward(net, x, true);
  const mineT = togetherT.final.slice([0, 0, 0, 0], [1, 16, 16, 16]);
  assert((await maxAbsDiff(aloneT.final, mineT)) > 1e-3);
  tf.dispose([x, first, alone, together, aloneT, togetherT, mineT]);
});

Deno.test("forward insists on an explicit training flag", () => {
  const net = buildModel(cfg("hourglass"));
  const x = batch();
  const call = forward as (net: PoseModel, x: tf.Tensor4D, training?: unknown) => unknown;
  assertThrows(() => call(net, x), Error, "say training = true or false explicitly");
  x.dispose();
});

Deno.test("freezing the MSS-net makes its BatchNorm run on moving statistics even in training", async () => {
  const net = buildModel(cfg("mss-msr"), { seed: 3 });
  setTrainable(net, "msr-only");
  assert(net.graph.trainableWeights.every((w) => w.name.startsWith("msr.")));
  assert(net.graph.trainableWeights.length > 0);
  const x = batch();
  tf.dispose(forward(net, x, true));
  assert(
    (await movingMeans(net, /^(stem|stacks)\./)).every((v) => v === 0),
    "a frozen moving mean moved",
  );
  assert(
    (await movingMeans(net, /^msr\./)).some((v) => v !== 0),
    "the MSR-net's moving means did not",
  );
  setTrainable(net, "all");
  assertEquals(
    net.graph.trainableWeights.length,
    net.graph.weights.filter((w) => !w.name.includes("moving_")).length,
  );
  x.dispose();
});

Deno.test("only a model with an MSR-net can train the MSR-net alone", () => {
  const net = buildModel(cfg("mss"));
  assertThrows(() => setTrainable(net, "msr-only"), KitError, 'needs model.kind "mss-msr"');
});
