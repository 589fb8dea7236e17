/**
 * `deno task bench`: not built yet (issues 4 and 8).
 *
 * @module
 */

import { runMain } from "../lib/cli/args.ts";
import { KitError } from "../lib/io/errors.ts";

if (import.meta.main) {
  await runMain(() => {
    throw new KitError("deno task bench is not built yet (issues 4 and 8)");
  });
}
