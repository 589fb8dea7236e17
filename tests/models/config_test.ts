import { assertEquals, assertThrows } from "@std/assert";
import { KitError } from "../../lib/io/errors.ts";
import {
  modelDefaults,
  modelSize,
  resolveModelConfig,
  validateModelConfig,
} from "../../lib/models/mod.ts";
import { resolveExperiment } from "../../lib/train/config.ts";

Deno.test("each variant's defaults are the papers' 8 stacks of 256 features at 256x256", () => {
  for (const kind of ["hourglass", "mss", "mss-msr", "mssh"] as const) {
    const d = modelDefaults(kind);
    assertEquals([d.kind, d.stacks, d.features, d.inputSize, d.depth], [kind, 8, 256, 256, 4]);
  }
  assertEquals(modelDefaults("mssh").block, "inception-resnet-a");
  assertEquals(modelDefaults("hourglass").block, "bottleneck");
});

Deno.test("switching model.kind in an experiment config brings that variant's keys", () => {
  assertEquals(resolveExperiment({}).model, modelDefaults("hourglass"));
  const cfg = resolveExperiment({ model: { kind: "mss", factors: [1, 2] } });
  assertEquals(cfg.model, { ...modelDefaults("mss"), factors: [1, 2] });
  const msr = resolveExperiment({ model: { kind: "mss-msr", msr: { features: 32 } } });
  assertEquals(msr.model.kind === "mss-msr" && msr.model.msr.features, 32);
});

Deno.test("a key of another variant or a typo is rejected by its dotted name", () => {
  assertThrows(
    () => resolveModelConfig({ kind: "hourglass", factors: [1] }),
    KitError,
    'unknown config key "model.factors"',
  );
  assertThrows(
    () => resolveModelConfig({ kind: "mss-msr", msr: { featurs: 8 } }),
    KitError,
    'unknown config key "model.msr.featurs"',
  );
  assertThrows(
    () => resolveModelConfig({ kind: "hg" }),
    KitError,
    'config key "model.kind" must be one of hourglass, mss, mss-msr, mssh; got "hg"',
  );
  assertThrows(
    () => resolveModelConfig({ kind: "mss", factors: [1, 3] }),
    KitError,
    'config key "model.factors[1]" must be one of 1, 2, 4, 8; got 3',
  );
  assertThrows(
    () => resolveModelConfig({ block: "resnext" }),
    KitError,
    '"model.block" must be one of bottleneck, inception-resnet-a; got "resnext"',
  );
});

Deno.test("numbers out of range name the key and the value", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ stacks: 0 }, 'config key "model.stacks" must be an integer >= 1; got 0'],
    [{ stacks: 1.5 }, 'config key "model.stacks" must be an integer >= 1; got 1.5'],
    [{ features: 63 }, 'config key "model.features" must be a positive multiple of 2'],
    [
      { block: "inception-resnet-a", features: 6 },
      'config key "model.features" must be a positive multiple of 4 for the inception-resnet-a block; got 6',
    ],
    [
      { inputSize: 100 },
      'config key "model.inputSize" must be a positive multiple of 64 for depth 4; got 100',
    ],
    [{ depth: 0 }, 'config key "model.depth" must be an integer in 1..6; got 0'],
    [{ residuals: 0 }, 'config key "model.residuals" must be an integer >= 1; got 0'],
    [
      { kind: "mss", factors: [2, 4] },
      'config key "model.factors" must be a list starting with factor 1',
    ],
    [{ kind: "mss", factors: [1, 4, 2] }, "increasing factors without repeats"],
    [
      { kind: "mss", depth: 2, inputSize: 64, factors: [1, 4] },
      'config key "model.factors[1]" must be a power of two up to 2 (depth 2); got 4',
    ],
    [
      { kind: "mssh", stacks: 2, scales: 3 },
      'config key "model.scales" must be an integer in 1..2; got 3',
    ],
    [
      { kind: "mss-msr", inputSize: 64, msr: { depth: 5 } },
      'config key "model.msr.depth" must be at most log2 of the heatmap side 16; got 5',
    ],
  ];
  for (const [override, message] of cases) {
    assertThrows(() => resolveModelConfig(override), KitError, message);
  }
});

Deno.test("a small valid config passes untouched", () => {
  const cfg = { ...modelDefaults("mss"), stacks: 2, features: 8, inputSize: 64 };
  assertEquals(validateModelConfig(cfg), cfg);
  assertEquals(resolveModelConfig({ kind: "mss", stacks: 2, features: 8, inputSize: 64 }), cfg);
});

Deno.test("modelSize carries a network's size to another kind and leaves the kind's own block", () => {
  const small = resolveModelConfig({
    kind: "hourglass",
    inputSize: 64,
    joints: 5,
    stacks: 2,
    features: 32,
    depth: 3,
    residuals: 2,
    block: "inception-resnet-a",
  });
  const size = modelSize(small);
  assertEquals(size, { inputSize: 64, joints: 5, stacks: 2, features: 32, depth: 3, residuals: 2 });
  const mssh = resolveModelConfig({ kind: "mssh", ...size, scales: 2 });
  assertEquals(modelSize(mssh), size);
  assertEquals(resolveModelConfig({ kind: "mss", ...size, factors: [1, 2] }).block, "bottleneck");
});
