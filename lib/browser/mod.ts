/**
 * Looking at pages the way a person does: headless Chromium driven over the DevTools protocol,
 * a classic Jupyter Notebook server started for one look, and what a notebook page shows.
 * Used by `deno task browser-check` and the demo's test.
 *
 * @module
 */

export * from "./chromium.ts";
export * from "./jupyter.ts";
export * from "./look.ts";
export { Page, type PageMessage, within } from "./page.ts";
