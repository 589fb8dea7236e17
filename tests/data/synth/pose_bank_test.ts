import { assertEquals, assertRejects } from "@std/assert";
import { main } from "../../../lib/cli/pose_bank.ts";
import {
  BANK_QUANT,
  buildPoseBank,
  formatPoseBank,
  type MpiiPoseRecord,
  normalisePose,
} from "../../../lib/data/synth/pose_bank.ts";
import { KitError } from "../../../lib/io/errors.ts";

/** A person at (100, 200), scale 0.5 (a 100 px box), joint j at (100 + j, 200 - 2j). */
function person(
  isValidation: number,
  edit: (joints: number[][]) => void = () => {},
): MpiiPoseRecord {
  const joint_self = Array.from({ length: 16 }, (_, j) => [100 + j, 200 - 2 * j, 1]);
  edit(joint_self);
  return { joint_self, objpos: [100, 200], scale_provided: 0.5, isValidation };
}

Deno.test("a pose is stored in thousandths of the person box relative to objpos", () => {
  const pose = normalisePose(person(0))!;
  assertEquals(pose.length, 32);
  // Joint 15 sits 15 px right and 30 px up of objpos in a 100 px box: (0.15, -0.30) boxes.
  assertEquals(pose.slice(30), [150, -300]);
  assertEquals(pose.slice(0, 2), [0, 0]);
});

Deno.test("people with a joint missing or far outside their box are left out of the bank", () => {
  assertEquals(normalisePose(person(0, (j) => j[3] = [0, 0, 0])), undefined);
  // 101 px right of objpos is past one box width.
  assertEquals(normalisePose(person(0, (j) => j[3] = [201, 200, 1])), undefined);
  assertEquals(
    normalisePose({ ...person(0), joint_self: person(0).joint_self.slice(0, 14) }),
    undefined,
  );
});

Deno.test("training poses come only from training records and validation poses only from validation ones", () => {
  const bank = buildPoseBank([person(0), person(1, (j) => j[0] = [110, 200, 1]), person(0)]);
  assertEquals(bank.train.length, 2);
  assertEquals(bank.val.length, 1);
  assertEquals(bank.val[0]!.slice(0, 2), [100, 0]);
  const text = formatPoseBank(bank);
  const parsed = JSON.parse(text);
  assertEquals([parsed.quant, parsed.train, parsed.val], [BANK_QUANT, bank.train, bank.val]);
  // One pose per line keeps the committed file diffable.
  assertEquals(text.split("\n").length, 13);
});

Deno.test("deno task pose-bank without an input says how to call it", async () => {
  await assertRejects(() => main([]), KitError, "usage: deno task pose-bank");
});
