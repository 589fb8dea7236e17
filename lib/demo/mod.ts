/**
 * The browser demo (`deno task demo`): the prediction shared by the page and its test
 * (`pose.ts`, browser-safe), and the server that bundles the page and serves a checkpoint
 * (`server.ts`, Deno). The page's own script is `app.ts`, bundled for the browser.
 *
 * @module
 */

export * from "./pose.ts";
export * from "./server.ts";
