import { assertAlmostEquals, assertEquals, assertThrows } from "@std/assert";
import { type DataConfig, dataDefaults } from "../../lib/data/config.ts";
import { renderScene } from "../../lib/data/synth/scene.ts";
import { KitError } from "../../lib/io/errors.ts";
import { hashSeed, Random } from "../../lib/random/random.ts";
import { STRESS_SPLIT_IDS, stressSplits, trainingZoomRange } from "../../lib/eval/stress.ts";

const EPS = 1e-9;
const SCENE = 64;
const PEOPLE = 24;

function byId(data: DataConfig) {
  return Object.fromEntries(stressSplits(data).map((s) => [s.id, s]));
}

/** Scenes drawn with a split's knobs (annotations only). */
function scenes(data: DataConfig) {
  return Array.from(
    { length: PEOPLE },
    (_, i) =>
      renderScene(data.synth, SCENE, "val", new Random(hashSeed(data.synth.seed, 1, i)), {
        pixels: false,
      }),
  );
}

Deno.test("the scale splits put the person beyond the zoom range training crops cover", () => {
  // Training: crop box 200 s x 1.25 divided by a zoom in [0.75, 1.25]: the person box is 0.6 to
  // 1.0 of the crop side. The splits go 1.2 times beyond: zoom 0.625 (crop padding 2, the person
  // half the crop) and zoom 1.5 (padding 0.833, the person 1.2 crop sides).
  const s = byId(dataDefaults);
  assertEquals(trainingZoomRange(dataDefaults), [0.75, 1.25]);
  assertAlmostEquals(s["scale-small"]!.data.cropPadding!, 2, EPS);
  assertAlmostEquals(s["scale-large"]!.data.cropPadding!, 1.25 / 1.5, EPS);
  const personInCrop = (padding: number) => 1 / padding;
  assertEquals(personInCrop(s["scale-small"]!.data.cropPadding!) < 0.75 / 1.25, true);
  assertEquals(personInCrop(s["scale-large"]!.data.cropPadding!) > 1.25 / 1.25, true);
  // The smaller person is also smaller in the scene, so the wider crop stays inside it.
  const [lo, hi] = dataDefaults.synth.personScale;
  assertEquals(s["scale-small"]!.data.synth.personScale, [lo! * 0.625, hi! * 0.625]);
  assertEquals(s["scale-large"]!.data.synth.personScale, dataDefaults.synth.personScale);
});

Deno.test("without augmentation the training zoom is 1 and the splits go 1.2 times either way", () => {
  const data = { ...dataDefaults, augment: { ...dataDefaults.augment, enabled: false } };
  const s = byId(data);
  assertAlmostEquals(s["scale-small"]!.data.cropPadding!, 1.25 * 1.2, EPS);
  assertAlmostEquals(s["scale-large"]!.data.cropPadding!, 1.25 / 1.2, EPS);
});

Deno.test("every occluded-split scene covers a joint with an object and has no other person", () => {
  const s = byId(dataDefaults);
  const occluded = scenes(s.occluded!.data);
  assertEquals(occluded.every((sc) => sc.occluders >= 1 && sc.distractors === 0), true);
  const hidden = (list: typeof occluded) =>
    list.reduce((n, sc) => n + sc.keypoints.filter((k) => k[2] === 1).length, 0);
  const plain = scenes({
    ...dataDefaults,
    synth: { ...dataDefaults.synth, occluders: 0, distractors: 0 },
  });
  // More joints marked occluded (visibility 1) than the same level without occluders.
  assertEquals(hidden(occluded) > hidden(plain), true);
  assertEquals(s.occluded!.score, "occluded");
});

Deno.test("every overlap-split scene has another person over the target and no occluding object", () => {
  const overlap = scenes(byId(dataDefaults).overlap!.data);
  assertEquals(overlap.every((sc) => sc.distractors >= 1 && sc.occluders === 0), true);
});

Deno.test("the splits keep the validation seed, people count and crop size, and a limit applies", () => {
  const data = { ...dataDefaults, inputSize: 64, synth: { ...dataDefaults.synth, seed: 7 } };
  const splits = stressSplits(data, { valLimit: 5 });
  assertEquals(splits.map((s) => s.id), [...STRESS_SPLIT_IDS]);
  for (const s of splits) {
    assertEquals([s.data.synth.seed, s.data.inputSize, s.data.valLimit], [7, 64, 5], s.id);
    assertEquals(s.data.synth.valSize, data.synth.valSize);
  }
});

Deno.test("stress splits of a dataset other than SynthPose are refused by name", () => {
  assertThrows(() => stressSplits({ ...dataDefaults, dataset: "mpii_h5" }), KitError, "mpii_h5");
});
