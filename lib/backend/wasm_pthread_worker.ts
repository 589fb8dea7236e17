/**
 * One pthread of tfjs-backend-wasm's threaded build, hosted in a Deno `node:worker_threads`
 * worker (see wasm_threads.ts for why).
 *
 * tfjs hands emscripten a classic-worker script (a blob URL) that expects a browser worker:
 * `self.onmessage`, `postMessage` and a synchronous `importScripts` to load the main module
 * (a Blob). Deno has only module workers and no `importScripts`, so this module provides them:
 * it fetches the worker script, runs it as browser worker code (with `process` hidden so that
 * emscripten does not take its Node.js path), and turns the Blob of the `load` message into
 * script text before emscripten asks for it. Messages are handled strictly in order.
 *
 * @module
 */

import { parentPort, workerData } from "node:worker_threads";

type Handler = (event: { data: unknown }) => void;
interface LoadMessage {
  cmd?: string;
  urlOrBlob?: unknown;
}

const port = parentPort!;
const scripts = new Map<string, string>();
const pending: unknown[] = [];
let handler: Handler | undefined;
let ready = false;
let draining = false;

// Runs emscripten's own generated code, as a browser's importScripts would: it must run as a
// classic script in the global scope (its `var` declarations become globals the worker code
// looks up), which a module import cannot do.
function runScript(text: string): void {
  // deno-lint-ignore no-eval
  (0, eval)(text);
}

const g = globalThis as unknown as Record<string, unknown>;
delete g.process;
g.self = globalThis;
g.importScripts = (url: string) => {
  const text = scripts.get(url);
  if (text === undefined) throw new Error(`pthread worker: no script loaded for ${url}`);
  runScript(text);
};
g.postMessage = (message: unknown, transfer?: Transferable[]) =>
  port.postMessage(message, transfer as never);
Object.defineProperty(globalThis, "onmessage", {
  configurable: true,
  get: () => handler,
  set: (fn: Handler) => void (handler = fn),
});

async function drain(): Promise<void> {
  if (draining || !ready) return;
  draining = true;
  try {
    while (pending.length > 0) {
      const data = pending.shift() as LoadMessage;
      if (data?.cmd === "load" && data.urlOrBlob instanceof Blob) {
        const key = "tfjs-backend-wasm-main-script";
        scripts.set(key, await data.urlOrBlob.text());
        data.urlOrBlob = key;
      }
      handler?.({ data });
    }
  } finally {
    draining = false;
  }
}

port.on("message", (data: unknown) => {
  pending.push(data);
  void drain();
});

const { workerScriptUrl } = workerData as { workerScriptUrl: string };
runScript(await (await fetch(workerScriptUrl)).text());
ready = true;
void drain();
