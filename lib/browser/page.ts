/**
 * One Chromium tab over the DevTools protocol (CDP): the websocket connection, and a `Page` that
 * navigates, evaluates scripts, sends input and takes screenshots. `chromium.ts` starts the
 * browser these pages live in.
 *
 * @module
 */

import { KitError } from "../io/errors.ts";

/** A console message or uncaught exception seen on a page. */
export interface PageMessage {
  readonly kind: "console" | "exception";
  readonly level: string;
  readonly text: string;
}

type Json = Record<string, unknown>;
interface Pending {
  resolve: (v: Json) => void;
  reject: (e: Error) => void;
  method: string;
}

/**
 * One DevTools websocket: numbered commands and their replies, events to listeners.
 *
 * @example
 * ```ts
 * const conn = await Connection.open(wsUrl);
 * ```
 */
export class Connection {
  #next = 1;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(msg: Json) => void>();
  #closed: Error | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as Json;
      const id = msg.id as number | undefined;
      if (id !== undefined && this.#pending.has(id)) {
        const p = this.#pending.get(id)!;
        this.#pending.delete(id);
        const err = msg.error as { message?: string } | undefined;
        if (err) p.reject(new Error(`${p.method}: ${err.message ?? JSON.stringify(err)}`));
        else p.resolve((msg.result ?? {}) as Json);
      } else for (const l of this.#listeners) l(msg);
    };
    ws.onclose = () => {
      this.#closed = new Error("the browser closed its DevTools connection");
      for (const p of this.#pending.values()) p.reject(this.#closed);
      this.#pending.clear();
    };
  }

  static open(url: string): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.onopen = () => resolve(new Connection(ws));
      ws.onerror = () => reject(new Error(`cannot connect to Chromium's DevTools at ${url}`));
    });
  }

  send(method: string, params: Json = {}, sessionId?: string): Promise<Json> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  listen(fn: (msg: Json) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  close(): void {
    try {
      this.ws.close();
    } catch { /* already closed */ }
  }
}

/** Waits `ms` milliseconds. */
function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * `p`'s value, or "timeout" after `ms`; the timer is cleared either way, so a settled race
 * never keeps the process alive.
 *
 * @example
 * ```ts
 * if ((await within(child.status, 5000)) === "timeout") child.kill("SIGKILL");
 * ```
 */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<"timeout">((r) => timer = setTimeout(() => r("timeout"), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A tab: navigation, script evaluation, input and screenshots. */
export class Page {
  /** Console errors and uncaught exceptions, in order. */
  readonly messages: PageMessage[] = [];

  constructor(
    readonly conn: Connection,
    readonly sessionId: string,
    readonly targetId: string,
  ) {
    conn.listen((msg) => {
      if (msg.sessionId !== sessionId) return;
      const p = (msg.params ?? {}) as Json;
      if (msg.method === "Page.javascriptDialogOpening") {
        // A "leave this page?" or alert would block the tab: accept it, as a reader would.
        this.messages.push({ kind: "console", level: "dialog", text: String(p.message) });
        this.send("Page.handleJavaScriptDialog", { accept: true }).catch(() => {});
      } else if (msg.method === "Runtime.consoleAPICalled") {
        const args = (p.args as { value?: unknown; description?: string }[] | undefined) ?? [];
        const text = args.map((a) => a.value ?? a.description ?? "").join(" ");
        this.messages.push({ kind: "console", level: String(p.type), text });
      } else if (msg.method === "Runtime.exceptionThrown") {
        const d = p.exceptionDetails as { text?: string; exception?: { description?: string } };
        const text = d?.exception?.description ?? d?.text ?? "exception";
        this.messages.push({ kind: "exception", level: "error", text });
      }
    });
  }

  /** Closes the tab. */
  async close(): Promise<void> {
    await this.conn.send("Target.closeTarget", { targetId: this.targetId }).catch(() => {});
  }

  /** Sends a CDP command to this tab. */
  send(method: string, params: Json = {}): Promise<Json> {
    return this.conn.send(method, params, this.sessionId);
  }

  /** Opens `url` and waits for its load event (at most `timeoutMs`). */
  async goto(url: string, timeoutMs = 30_000): Promise<void> {
    let off = () => {};
    const loaded = new Promise<void>((resolve) => {
      off = this.conn.listen((msg) => {
        if (msg.sessionId === this.sessionId && msg.method === "Page.loadEventFired") resolve();
      });
    });
    try {
      const r = await this.send("Page.navigate", { url });
      if (r.errorText) throw new KitError(`cannot open ${url}: ${r.errorText}`);
      if ((await within(loaded, timeoutMs)) === "timeout") {
        throw new KitError(`${url} did not finish loading in ${timeoutMs / 1000} s`);
      }
    } finally {
      off();
    }
  }

  /**
   * Evaluates an expression in the page (awaiting a promise) and returns its JSON value; an
   * exception in the page is thrown here with its message.
   */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.send("Runtime.evaluate", {
      expression,
      awaitPromise: true,
      returnByValue: true,
    });
    const ex = r.exceptionDetails as { exception?: { description?: string }; text?: string };
    if (ex) throw new Error(ex.exception?.description ?? ex.text ?? "evaluation failed");
    return (r.result as { value?: T }).value as T;
  }

  /** Polls `expression` until it is truthy; throws `what` after `timeoutMs`. */
  async waitFor(expression: string, what: string, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (true) {
      if (await this.evaluate<boolean>(`!!(${expression})`).catch(() => false)) return;
      if (Date.now() > end) throw new KitError(`${what} (waited ${timeoutMs / 1000} s)`);
      await sleep(100);
    }
  }

  /** Sets the viewport (CSS pixels). */
  async setViewport(width: number, height: number): Promise<void> {
    await this.send("Emulation.setDeviceMetricsOverride", {
      width,
      height,
      deviceScaleFactor: 1,
      mobile: false,
    });
  }

  /** A PNG of the viewport, or of the whole `clip` rectangle (CSS pixels) when given. */
  async screenshot(
    clip?: { x: number; y: number; width: number; height: number },
  ): Promise<Uint8Array> {
    const r = await this.send("Page.captureScreenshot", {
      format: "png",
      ...(clip ? { clip: { ...clip, scale: 1 }, captureBeyondViewport: true } : {}),
    });
    return Uint8Array.from(atob(String(r.data)), (c) => c.charCodeAt(0));
  }

  /** Puts files into the `<input type=file>` matched by `selector`, as if the user picked them. */
  async setInputFiles(selector: string, files: readonly string[]): Promise<void> {
    const doc = await this.send("DOM.getDocument", {});
    const root = (doc.root as { nodeId: number }).nodeId;
    const q = await this.send("DOM.querySelector", { nodeId: root, selector });
    if (!q.nodeId) throw new Error(`no element matches ${selector}`);
    await this.send("DOM.setFileInputFiles", { nodeId: q.nodeId, files: [...files] });
  }

  /** Drags the mouse with the left button pressed from one point to another (CSS pixels). */
  async drag(from: [number, number], to: [number, number], steps = 5): Promise<void> {
    const mouse = (type: string, [x, y]: [number, number], buttons: number) =>
      this.send("Input.dispatchMouseEvent", {
        type,
        x,
        y,
        button: "left",
        buttons,
        clickCount: 1,
      });
    await mouse("mouseMoved", from, 0);
    await mouse("mousePressed", from, 1);
    for (let s = 1; s <= steps; s++) {
      const t = s / steps;
      await mouse(
        "mouseMoved",
        [from[0] + t * (to[0] - from[0]), from[1] + t * (to[1] - from[1])],
        1,
      );
    }
    await mouse("mouseReleased", to, 0);
  }
}
