import { assertEquals, assertThrows } from "@std/assert";
import {
  choice,
  combineOverrides,
  expect,
  formatConfig,
  int,
  parseConfig,
  parseSet,
  section,
  strict,
  z,
} from "../../lib/config/mod.ts";
import { KitError } from "../../lib/io/errors.ts";

const model = z.discriminatedUnion("kind", [
  strict({ kind: z.literal("hourglass"), stacks: int(1).default(2), features: int(1).default(64) }),
  strict({
    kind: z.literal("mss"),
    stacks: int(1).default(2),
    features: int(1).default(64),
    scales: z.array(z.number()).default(() => [1, 2, 4, 8]),
  }),
]).prefault({ kind: "hourglass" });
const schema = section({
  model,
  optimizer: section({
    name: z.enum(["rmsprop", "adam", "sgd"]).default("rmsprop"),
    lr: z.number().default(2.5e-4),
    milestones: z.array(z.number()).default(() => [10, 20]),
  }),
  resume: z.string().nullable().default(null),
});
const defaults = parseConfig(schema, {});

Deno.test("an override changes only the keys it names", () => {
  const cfg = parseConfig(schema, { optimizer: { lr: 1e-3 } });
  assertEquals(cfg.optimizer, { name: "rmsprop", lr: 1e-3, milestones: [10, 20] });
  assertEquals(cfg.model, defaults.model);
  assertEquals(defaults.optimizer.lr, 2.5e-4);
  assertEquals(JSON.stringify(defaults), JSON.stringify(parseConfig(schema, defaults)));
});

Deno.test("an unknown key fails with its full dotted name and the known keys", () => {
  const err = assertThrows(() => parseConfig(schema, { optimizer: { lrr: 1 } }), KitError);
  assertEquals(
    err.message,
    'unknown config key "optimizer.lrr" (optimizer has: name, lr, milestones)',
  );
  assertThrows(
    () => parseConfig(schema, { modle: {} }),
    KitError,
    'unknown config key "modle" (the config has: model, optimizer, resume)',
  );
  // A section checked on its own names its keys under the prefix it is given.
  assertThrows(
    () => parseConfig(schema, { optimizer: { lrr: 1 } }, "exp"),
    KitError,
    'unknown config key "exp.optimizer.lrr"',
  );
});

Deno.test("an unknown key is reported before another problem in the same override", () => {
  assertThrows(
    () => parseConfig(schema, { optimizer: { lr: "fast", lrr: 1 } }),
    KitError,
    'unknown config key "optimizer.lrr"',
  );
});

Deno.test("a wrong type or a value outside a closed choice is named", () => {
  assertThrows(
    () => parseConfig(schema, { optimizer: { lr: "fast" } }),
    KitError,
    'config key "optimizer.lr" must be a number; got "fast"',
  );
  assertThrows(
    () => parseConfig(schema, { optimizer: { name: "adamw" } }),
    KitError,
    'config key "optimizer.name" must be one of rmsprop, adam, sgd; got "adamw"',
  );
  assertThrows(
    () => parseConfig(schema, { optimizer: { milestones: [1, "x"] } }),
    KitError,
    'config key "optimizer.milestones[1]" must be a number; got "x"',
  );
  assertThrows(
    () => parseConfig(schema, { optimizer: { lr: Infinity } }),
    KitError,
    'config key "optimizer.lr" must be a finite number; got Infinity',
  );
  assertThrows(
    () => parseConfig(schema, { optimizer: 3 }),
    KitError,
    'config key "optimizer" must be an object; got 3',
  );
  assertThrows(() => parseConfig(schema, []), KitError, "a config must be an object; got []");
});

Deno.test("switching a variant checks keys against that variant's defaults", () => {
  const mss = parseConfig(schema, { model: { kind: "mss", scales: [1, 2] } });
  assertEquals(mss.model, { kind: "mss", stacks: 2, features: 64, scales: [1, 2] });
  assertThrows(
    () => parseConfig(schema, { model: { kind: "hourglass", scales: [1] } }),
    KitError,
    'unknown config key "model.scales" (model has: kind, stacks, features)',
  );
  assertThrows(
    () => parseConfig(schema, { model: { kind: "hg" } }),
    KitError,
    'config key "model.kind" must be one of hourglass, mss; got "hg"',
  );
});

Deno.test("range helpers and cross-key checks name the key, the rule and the value", () => {
  assertThrows(
    () => parseConfig(schema, { model: { kind: "hourglass", stacks: 0 } }),
    KitError,
    'config key "model.stacks" must be an integer >= 1; got 0',
  );
  const range = strict({ min: z.number(), max: z.number(), list: z.array(z.number()) })
    .superRefine((c, ctx) => {
      expect(ctx, c.max >= c.min, "max", ">= min", c.max);
      c.list.forEach((v, i) => expect(ctx, v > 0, `list[${i}]`, "> 0", v));
    });
  assertThrows(
    () => parseConfig(range, { min: 2, max: 1, list: [] }, "r"),
    KitError,
    'config key "r.max" must be >= min; got 1',
  );
  assertThrows(
    () => parseConfig(range, { min: 0, max: 1, list: [1, -1] }, "r"),
    KitError,
    'config key "r.list[1]" must be > 0; got -1',
  );
});

Deno.test("nullable keys default to null and take their type and nothing structured", () => {
  assertEquals(defaults.resume, null);
  assertEquals(parseConfig(schema, { resume: "runs/a" }).resume, "runs/a");
  assertThrows(() => parseConfig(schema, { resume: { a: 1 } }), KitError, '"resume"');
});

Deno.test("a bad choice in a config built in code is caught", () => {
  const bad = { ...defaults, optimizer: { ...defaults.optimizer, name: "lbfgs" } };
  assertThrows(() => parseConfig(schema, bad), KitError, "lbfgs");
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

Deno.test("a renamed choice reads its old spelling as the new one and still refuses other values", () => {
  const trains = section({
    trains: choice(["all", "msr-only"], { msr: "msr-only" }).default("all"),
  });
  assertEquals(parseConfig(trains, { trains: "msr" }).trains, "msr-only");
  assertEquals(parseConfig(trains, { trains: "msr-only" }).trains, "msr-only");
  assertEquals(parseConfig(trains, {}).trains, "all");
  assertThrows(
    () => parseConfig(trains, { trains: "stacks" }),
    KitError,
    'config key "trains" must be one of all, msr-only; got "stacks"',
  );
});
