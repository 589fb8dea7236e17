import { assertEquals, assertThrows } from "@std/assert";
import { findChromium } from "../../lib/browser/chromium.ts";
import { within } from "../../lib/browser/page.ts";
import { KitError } from "../../lib/io/errors.ts";

Deno.test("within returns the value when it comes first and 'timeout' otherwise, leaving no timer", async () => {
  assertEquals(await within(Promise.resolve(7), 10_000), 7);
  assertEquals(await within(new Promise(() => {}), 5), "timeout");
});

Deno.test("a CHROMIUM path that does not exist is named in the error", () => {
  const before = Deno.env.get("CHROMIUM");
  Deno.env.set("CHROMIUM", "/nowhere/chromium");
  try {
    assertThrows(() => findChromium(), KitError, "CHROMIUM=/nowhere/chromium: no such file");
  } finally {
    if (before === undefined) Deno.env.delete("CHROMIUM");
    else Deno.env.set("CHROMIUM", before);
  }
});
