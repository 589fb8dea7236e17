/**
 * `deno task synth`: not built yet (issue 3).
 *
 * @module
 */

import { runMain } from "./args.ts";
import { KitError } from "../io/errors.ts";

if (import.meta.main) {
  await runMain(() => {
    throw new KitError("deno task synth is not built yet (issue 3)");
  });
}
