import { assertEquals, assertThrows } from "@std/assert";
import { KitError } from "../../lib/io/errors.ts";
import { loadExperiment, resolveExperiment } from "../../lib/train/config.ts";

const root = new URL("../../", import.meta.url).pathname;

Deno.test("MSSH's negative targets are refused with Eq. 2's max combine, naming the key", () => {
  assertThrows(
    () =>
      resolveExperiment({
        data: { occludedTarget: "negative" },
        loss: { structure: "all", combine: "max" },
      }),
    KitError,
    'config key "loss.combine" must be "sum" with data.occludedTarget "negative"',
  );
  // "sum" keeps the sign; and without Eq. 2 the combine is never used, so it is left alone.
  const sum = { data: { occludedTarget: "negative" }, loss: { structure: "all", combine: "sum" } };
  assertEquals(resolveExperiment(sum).loss.combine, "sum");
  const none = {
    data: { occludedTarget: "negative" },
    loss: { structure: "none", combine: "max" },
  };
  assertEquals(resolveExperiment(none).data.occludedTarget, "negative");
  // With positive targets "max" stays allowed, as before.
  assertEquals(
    resolveExperiment({ loss: { structure: "all", combine: "max" } }).loss.combine,
    "max",
  );
});

Deno.test("a bad occludedTarget in an experiment is named with its value", () => {
  assertThrows(
    () => resolveExperiment({ data: { occludedTarget: "occluded" } }),
    KitError,
    'config key "data.occludedTarget" must be one of positive, negative; got "occluded"',
  );
});

Deno.test("the MSSH paper config trains with negative targets for occluded joints", async () => {
  const cfg = await loadExperiment(`${root}configs/lsp_mssh_paper.json`);
  assertEquals([cfg.model.kind, cfg.data.occludedTarget], ["mssh", "negative"]);
  const hourglass = await loadExperiment(`${root}configs/mpii_hourglass8_paper.json`);
  assertEquals(hourglass.data.occludedTarget, "positive");
});
