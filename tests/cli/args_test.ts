import { assertEquals, assertThrows } from "@std/assert";
import { choiceFlag, numberFlag, parseFlags, userPath } from "../../lib/cli/args.ts";
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

Deno.test("a negative number after a flag is its value, checked by the flag's range", () => {
  const f = parseFlags(["--count", "-1", "--set", "a=-2"], spec, "usage");
  assertEquals(f.count, "-1");
  assertThrows(
    () => numberFlag(f, "count", 0, { min: 0 }),
    KitError,
    '--count must be a number >= 0; got "-1"',
  );
  assertThrows(() => parseFlags(["-1"], spec, "usage"), KitError, 'unknown flag "-1"');
});

Deno.test("a relative path is resolved in the folder deno task was started from", () => {
  const before = Deno.env.get("INIT_CWD");
  try {
    Deno.env.set("INIT_CWD", "/home/me/work");
    assertEquals(userPath("my.json"), "/home/me/work/my.json");
    assertEquals(userPath("/abs/my.json"), "/abs/my.json");
    Deno.env.set("INIT_CWD", Deno.cwd());
    assertEquals(userPath("configs/x.json"), "configs/x.json");
  } finally {
    if (before === undefined) Deno.env.delete("INIT_CWD");
    else Deno.env.set("INIT_CWD", before);
  }
});
