import { assertEquals, assertThrows } from "@std/assert";
import {
  dataConfig,
  dataDefaults,
  SYNTH_LEVEL_KNOBS,
  synthImageSize,
  validateDataConfig,
} from "../../lib/data/config.ts";
import { resolveExperiment } from "../../lib/train/config.ts";
import { KitError } from "../../lib/io/errors.ts";

Deno.test("the defaults are valid and overrides merge onto them", () => {
  assertEquals(validateDataConfig(dataDefaults), dataDefaults);
  const cfg = dataConfig({ inputSize: 128, augment: { rotation: 20 }, synth: { trainSize: 50 } });
  assertEquals([cfg.inputSize, cfg.augment.rotation, cfg.augment.scaleMin, cfg.synth.trainSize], [
    128,
    20,
    0.75,
    50,
  ]);
  assertEquals(cfg.cropPadding, null);
  assertEquals(dataConfig({ cropPadding: 1 }).cropPadding, 1);
});

Deno.test("unknown keys, bad choices and out-of-range values are named", () => {
  assertThrows(
    () => dataConfig({ augment: { rotaton: 3 } }),
    KitError,
    'unknown config key "data.augment.rotaton"',
  );
  assertThrows(
    () => dataConfig({ dataset: "coco" }),
    KitError,
    'config key "data.dataset" must be one of synth, mpii_h5',
  );
  assertThrows(
    () => dataConfig({ inputSize: 250 }),
    KitError,
    'config key "data.inputSize" must be a multiple of outputStride',
  );
  assertThrows(
    () => dataConfig({ augment: { scaleMin: 1.5 } }),
    KitError,
    'config key "data.augment.scaleMax" must be >= augment.scaleMin',
  );
  assertThrows(
    () => dataConfig({ masking: { background: 2 } }),
    KitError,
    'config key "data.masking.background" must be in [0, 1]; got 2',
  );
  assertThrows(
    () => dataConfig({ synth: { personScale: [0.8, 0.2] } }),
    KitError,
    '"data.synth.personScale" must be [min, max]',
  );
});

Deno.test("the data section composes into an experiment config under data", () => {
  const exp = resolveExperiment({ data: { synth: { poses: "bank" } } });
  assertEquals(exp.data, { ...dataDefaults, synth: { ...dataDefaults.synth, poses: "bank" } });
  assertThrows(
    () => resolveExperiment({ data: { synth: { poses: "random" } } }),
    KitError,
    '"data.synth.poses" must be one of bank, kinematic, mixed',
  );
});

Deno.test("occluded joints get positive targets unless the config asks for MSSH's negative ones", () => {
  assertEquals(dataDefaults.occludedTarget, "positive");
  assertEquals(dataConfig({ occludedTarget: "negative" }).occludedTarget, "negative");
  assertThrows(
    () => dataConfig({ occludedTarget: "minus" }),
    KitError,
    'config key "data.occludedTarget" must be one of positive, negative; got "minus"',
  );
  // A config built in code is checked by the same schema, which names the bad value.
  assertThrows(
    () => validateDataConfig({ ...dataDefaults, occludedTarget: "zero" as "positive" }),
    KitError,
    'config key "data.occludedTarget" must be one of positive, negative; got "zero"',
  );
});

Deno.test("scenes default to 4/3 of the crop, rounded to 8 px", () => {
  assertEquals(synthImageSize(dataConfig({ inputSize: 256 })), 344);
  assertEquals(synthImageSize(dataConfig({ inputSize: 64 })), 88);
  assertEquals(synthImageSize(dataConfig({ synth: { imageSize: 100 } })), 100);
});

Deno.test("a SynthPose level sets its knobs, and knobs given explicitly win over the level's", () => {
  const easy = dataConfig({ synth: { level: "easy" } });
  assertEquals(easy.synth.level, "easy");
  assertEquals(easy.synth.distractors, SYNTH_LEVEL_KNOBS.easy.distractors);
  assertEquals(easy.synth.sideColors, 1);
  // The side colour code is chiral, so the easy level turns flip augmentation off.
  assertEquals(easy.augment.flip, false);
  const mixed = dataConfig({ synth: { level: "easy", clutter: 9 } });
  assertEquals([mixed.synth.clutter, mixed.synth.sideColors], [9, 1]);
  const hard = resolveExperiment({}, ["data.synth.level=hard"]);
  assertEquals(hard.data.synth.clutter, SYNTH_LEVEL_KNOBS.hard.clutter);
  assertEquals(hard.data.augment.flip, true);
  // With no level named, the defaults are the standard level's knobs.
  assertEquals(dataDefaults.synth.level, "standard");
  for (const [k, v] of Object.entries(SYNTH_LEVEL_KNOBS.standard)) {
    assertEquals(dataDefaults.synth[k as keyof typeof dataDefaults.synth], v, k);
  }
});

Deno.test("an unknown level is named, and the side colour code refuses flip augmentation", () => {
  assertThrows(() => dataConfig({ synth: { level: "medium" } }), KitError, "data.synth.level");
  assertThrows(
    () => dataConfig({ synth: { level: "easy" }, augment: { flip: true } }),
    KitError,
    'config key "data.augment.flip" must be false when data.synth.sideColors > 0',
  );
  // Without flipping, or without the code, either is fine.
  dataConfig({ synth: { sideColors: 0.5 }, augment: { flip: false } });
  dataConfig({ synth: { sideColors: 0 }, augment: { flip: true } });
});
