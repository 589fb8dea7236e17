import { assert, assertEquals } from "@std/assert";
import { presenceTraining } from "../../lib/eval/mod.ts";

Deno.test("a presence analysis says whether the model was trained with Newell's all-zero maps", () => {
  const zero = presenceTraining("zero");
  assertEquals(zero.missing, "zero");
  assert(zero.note.includes("all-zero maps"), zero.note);
  const ignored = presenceTraining("ignore");
  assert(ignored.note.includes('"ignore"'), ignored.note);
  assert(!ignored.note.startsWith("trained with all-zero"), ignored.note);
});
