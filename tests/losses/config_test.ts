import { assertEquals, assertThrows } from "@std/assert";
import { KitError } from "../../lib/io/errors.ts";
import { lossConfig, lossDefaults, paperLoss, validateLossConfig } from "../../lib/losses/mod.ts";

Deno.test("the loss section merges under the key loss with its choices checked", () => {
  const cfg = lossConfig({ structure: "all", alpha: 0.5 });
  assertEquals(cfg, { ...lossDefaults, structure: "all", alpha: 0.5 });
  assertThrows(
    () => lossConfig({ combine: "mean" }),
    KitError,
    'config key "loss.combine" must be one of sum, max; got "mean"',
  );
  assertThrows(
    () => lossConfig({ alhpa: 1 }),
    KitError,
    'unknown config key "loss.alhpa"',
  );
});

Deno.test("bad loss numbers are named with their value", () => {
  assertThrows(
    () => validateLossConfig({ ...lossDefaults, alpha: -1 }),
    KitError,
    'config key "loss.alpha" must be a number >= 0; got -1',
  );
  assertThrows(
    () => validateLossConfig({ ...lossDefaults, scaleWeights: [1, 1] }),
    KitError,
    'config key "loss.scaleWeights" must be 4 weights, for factors 1, 2, 4 and 8; got [1,1]',
  );
  assertThrows(
    () => validateLossConfig({ ...lossDefaults, scaleWeights: [1, 1, -2, 1] }),
    KitError,
    'config key "loss.scaleWeights[2]" must be a number >= 0; got -2',
  );
  assertEquals(validateLossConfig(lossDefaults), lossDefaults);
});

Deno.test("each paper's loss: Eq. 1, Eq. 2 everywhere for MSS+MSR, adaptive for MSSH", () => {
  assertEquals(lossDefaults.structure, "msr-outputs");
  assertEquals(paperLoss("hourglass"), lossDefaults);
  assertEquals(paperLoss("mss-msr").structure, "all");
  assertEquals(paperLoss("mssh").adaptive, true);
  for (const kind of ["hourglass", "mss", "mss-msr", "mssh"] as const) {
    validateLossConfig(paperLoss(kind));
  }
});
