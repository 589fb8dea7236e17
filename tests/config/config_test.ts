import { assertEquals, assertThrows } from "@std/assert";
import {
  combineOverrides,
  type ConfigObject,
  formatConfig,
  mergeConfig,
  parseSet,
  validateConfig,
} from "../../lib/config/mod.ts";
import { KitError } from "../../lib/io/errors.ts";

const defaults = {
  model: { kind: "hourglass", stacks: 2, features: 64 },
  optimizer: { name: "rmsprop", lr: 2.5e-4, milestones: [10, 20] },
  resume: null,
};
const rules = {
  choices: { "optimizer.name": ["rmsprop", "adam", "sgd"], "model.kind": ["hourglass", "mss"] },
  variants: {
    model: {
      key: "kind",
      defaults: (kind: string): ConfigObject =>
        kind === "mss"
          ? { kind: "mss", stacks: 2, features: 64, scales: [1, 2, 4, 8] }
          : { kind: "hourglass", stacks: 2, features: 64 },
    },
  },
};

Deno.test("an override changes only the keys it names", () => {
  const cfg = mergeConfig(defaults, { optimizer: { lr: 1e-3 } }, rules);
  assertEquals(cfg.optimizer, { name: "rmsprop", lr: 1e-3, milestones: [10, 20] });
  assertEquals(cfg.model, defaults.model);
  assertEquals(defaults.optimizer.lr, 2.5e-4);
});

Deno.test("an unknown key fails with its full dotted name and the known keys", () => {
  const err = assertThrows(
    () => mergeConfig(defaults, { optimizer: { lrr: 1 } }, rules),
    KitError,
  );
  assertEquals(
    err.message,
    'unknown config key "optimizer.lrr" (optimizer has: name, lr, milestones)',
  );
  assertThrows(() => mergeConfig(defaults, { modle: {} }), KitError, 'unknown config key "modle"');
});

Deno.test("a wrong type or a value outside a closed choice is named", () => {
  assertThrows(
    () => mergeConfig(defaults, { optimizer: { lr: "fast" } }, rules),
    KitError,
    'config key "optimizer.lr" must be a number; got "fast"',
  );
  assertThrows(
    () => mergeConfig(defaults, { optimizer: { name: "adamw" } }, rules),
    KitError,
    'config key "optimizer.name" must be one of rmsprop, adam, sgd; got "adamw"',
  );
  assertThrows(
    () => mergeConfig(defaults, { optimizer: { milestones: [1, "x"] } }, rules),
    KitError,
    'config key "optimizer.milestones[1]" must be a number',
  );
});

Deno.test("switching a variant checks keys against that variant's defaults", () => {
  const mss = mergeConfig(defaults, { model: { kind: "mss", scales: [1, 2] } }, rules);
  assertEquals(mss.model, { kind: "mss", stacks: 2, features: 64, scales: [1, 2] });
  assertThrows(
    () => mergeConfig(defaults, { model: { scales: [1] } }, rules),
    KitError,
    'unknown config key "model.scales"',
  );
  assertThrows(
    () => mergeConfig(defaults, { model: { kind: "hg" } }, rules),
    KitError,
    'config key "model.kind" must be one of hourglass, mss; got "hg"',
  );
});

Deno.test("null defaults take a scalar and nothing structured", () => {
  assertEquals(mergeConfig(defaults, { resume: "runs/a" }).resume, "runs/a");
  assertThrows(() => mergeConfig(defaults, { resume: { a: 1 } }), KitError, '"resume"');
});

Deno.test("validateConfig catches a bad choice in a config built in code", () => {
  const bad = { ...defaults, optimizer: { ...defaults.optimizer, name: "lbfgs" } };
  assertThrows(() => validateConfig(bad, rules), KitError, "lbfgs");
});

Deno.test("--set parses dotted keys and JSON values", () => {
  assertEquals(parseSet("optimizer.lr=5e-4"), { optimizer: { lr: 5e-4 } });
  assertEquals(parseSet("model.kind=mss"), { model: { kind: "mss" } });
  assertEquals(parseSet("optimizer.milestones=[3,6]"), { optimizer: { milestones: [3, 6] } });
  assertEquals(parseSet("flag=true"), { flag: true });
  assertThrows(() => parseSet("lr"), KitError, "key.path=value");
  assertThrows(() => parseSet("a..b=1"), KitError, "empty key");
});

Deno.test("overrides combine deeply with later ones winning", () => {
  assertEquals(
    combineOverrides({ a: { b: 1, c: 1 } }, { a: { c: 2 } }, { d: 3 }),
    { a: { b: 1, c: 2 }, d: 3 },
  );
});

Deno.test("the printed config lists every leaf as key = value", () => {
  assertEquals(
    formatConfig({ a: { b: 1, c: "x" }, d: [1, 2] }),
    'a.b = 1\na.c = "x"\nd = [1,2]',
  );
});
