import { assertEquals, assertThrows } from "@std/assert";
import { choiceFlag, numberFlag, parseFlags } from "../../lib/cli/mod.ts";
import { KitError } from "../../lib/io/errors.ts";

const spec = { string: ["count", "convention"], boolean: ["json"], collect: ["set"] };

Deno.test("declared flags parse and repeated flags collect", () => {
  const f = parseFlags(
    ["--count", "8", "--json", "--set", "a=1", "--set", "b=2", "x.png"],
    spec,
    "usage",
  );
  assertEquals(f.count, "8");
  assertEquals(f.json, true);
  assertEquals(f.set, ["a=1", "b=2"]);
  assertEquals(f._, ["x.png"]);
});

Deno.test("an unknown flag is named in the error", () => {
  assertThrows(
    () => parseFlags(["--cuont", "8"], spec, "usage: x"),
    KitError,
    'unknown flag "--cuont"',
  );
});

Deno.test("numeric flags are checked for type and range", () => {
  const f = parseFlags(["--count", "abc"], spec, "usage");
  assertThrows(() => numberFlag(f, "count", 1), KitError, '--count must be a number; got "abc"');
  const g = parseFlags(["--count", "0"], spec, "usage");
  assertThrows(() => numberFlag(g, "count", 1, { min: 1, integer: true }), KitError, ">= 1");
  assertEquals(numberFlag(parseFlags([], spec, "u"), "count", 5), 5);
});

Deno.test("closed-choice flags name the choices", () => {
  const f = parseFlags(["--convention", "coco"], spec, "usage");
  assertThrows(
    () => choiceFlag(f, "convention", ["bearpaw", "official"], "bearpaw"),
    KitError,
    '--convention must be one of bearpaw, official; got "coco"',
  );
});
