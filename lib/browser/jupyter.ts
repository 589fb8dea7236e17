/**
 * A classic Jupyter Notebook server (Debian's `jupyter-notebook`, 6.x) started for one look at
 * the notebooks: bound to 127.0.0.1 with a random token, serving a copy of the notebooks, with
 * its own trust database so that trusting the copies never touches the user's.
 *
 * @module
 */

import { join } from "@std/path";
import { KitError } from "../io/errors.ts";
import { within } from "./page.ts";

/** A running notebook server. */
export interface NotebookServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly token: string;
  /** The folder it serves. */
  readonly root: string;
  /** The page of a notebook in `root`, with the token. */
  notebookUrl(name: string): string;
  /** Asks the server to shut down every kernel it started (sessions of opened notebooks). */
  shutdownKernels(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A TCP port free at the moment of asking. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

function randomToken(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(24)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** Trust-database flags: the server and `jupyter trust` use files in `stateDir`. */
function notaryFlags(stateDir: string): string[] {
  return [
    `--NotebookNotary.db_file=${join(stateDir, "nbsignatures.db")}`,
    `--NotebookNotary.secret_file=${join(stateDir, "notebook_secret")}`,
  ];
}

/**
 * Signs notebooks as trusted in the trust database under `stateDir`, as a user does with
 * `jupyter trust` or the "Not Trusted" button.
 *
 * @example
 * ```ts
 * await trustNotebooks(["/tmp/nb/01_data.ipynb"], "/tmp/state");
 * ```
 */
export async function trustNotebooks(paths: readonly string[], stateDir: string): Promise<void> {
  // `jupyter trust` comes with nbformat; Debian's python3-nbformat has the module but not the
  // `jupyter-trust` script, so fall back to running the module with the system Python.
  const commands: [string, string[]][] = [
    ["jupyter", ["trust"]],
    ["/usr/bin/python3", ["-m", "nbformat.sign"]],
    ["python3", ["-m", "nbformat.sign"]],
  ];
  const errors: string[] = [];
  for (const [cmd, pre] of commands) {
    try {
      const out = await new Deno.Command(cmd, {
        args: [...pre, ...notaryFlags(stateDir), ...paths],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (out.success) return;
      const err = new TextDecoder().decode(out.stderr).trim().split("\n");
      errors.push(`${cmd} ${pre.join(" ")}: ${err[err.length - 1]}`);
    } catch (e) {
      errors.push(`${cmd}: ${(e as Error).message}`);
    }
  }
  throw new KitError(`cannot trust the notebooks (${errors.join("; ")})`);
}

/**
 * Starts `jupyter notebook` on 127.0.0.1 serving `root` and waits until its API answers. Always
 * `stop()` it in a `finally`. A KitError says what to install when Jupyter is missing.
 *
 * @example
 * ```ts
 * const server = await startNotebookServer(copyDir, stateDir);
 * try {
 *   await page.goto(server.notebookUrl("01_data.ipynb"));
 * } finally {
 *   await server.stop();
 * }
 * ```
 */
export async function startNotebookServer(
  root: string,
  stateDir: string,
  timeoutMs = 60_000,
): Promise<NotebookServer> {
  const token = randomToken();
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command("jupyter", {
      args: [
        "notebook",
        "--no-browser",
        "--ip=127.0.0.1",
        `--port=${port}`,
        "--port-retries=0",
        `--NotebookApp.token=${token}`,
        `--notebook-dir=${root}`,
        // Nothing of the user's is written: no MathJax or nbextension lookups change that.
        "--NotebookApp.open_browser=False",
        ...notaryFlags(stateDir),
        // CI containers run as root, which the server refuses without this.
        ...(Deno.uid() === 0 ? ["--allow-root"] : []),
      ],
      // Cookie secret and kernel connection files go to the run's own folder, not the user's.
      env: { JUPYTER_RUNTIME_DIR: join(stateDir, "runtime") },
      cwd: root,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    throw new KitError(
      `cannot start jupyter notebook (${(e as Error).message}); install it: ` +
        "apt-get install jupyter-notebook",
    );
  }
  // The server logs to stderr; keep it in the log file for failure messages.
  const logFile = join(stateDir, "jupyter.log");
  const stderrDone = child.stderr.pipeTo(
    (await Deno.open(logFile, { write: true, create: true, truncate: true })).writable,
  ).catch(() => {});
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stop = async () => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      if ((await within(status, 10_000)) === "timeout") {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }
    }
    await status;
    await stderrDone;
  };
  const end = Date.now() + timeoutMs;
  while (true) {
    if (exited) {
      const text = await Deno.readTextFile(logFile).catch(() => "");
      throw new KitError(
        `jupyter notebook exited at start:\n${text.trim().split("\n").slice(-8).join("\n")}\n` +
          "(Debian: apt-get install jupyter-notebook)",
      );
    }
    const ok = await fetch(`${url}/api/status?token=${token}`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }).catch(() => false);
    if (ok) break;
    if (Date.now() > end) {
      await stop();
      throw new KitError(`jupyter notebook did not answer on ${url} in ${timeoutMs / 1000} s`);
    }
    await sleep(200);
  }
  return {
    url,
    token,
    root,
    notebookUrl: (name) => `${url}/notebooks/${encodeURIComponent(name)}?token=${token}`,
    async shutdownKernels() {
      const auth = { headers: { Authorization: `token ${token}` } };
      const sessions = await fetch(`${url}/api/sessions`, auth).then((r) => r.json()).catch(
        () => [],
      ) as { id: string }[];
      for (const s of sessions) {
        await fetch(`${url}/api/sessions/${s.id}`, { method: "DELETE", ...auth })
          .then((r) => r.body?.cancel()).catch(() => {});
      }
    },
    stop,
  };
}

/**
 * The kernel names the server knows (e.g. "deno", "python3").
 *
 * @example
 * ```ts
 * (await kernelNames(server)).includes("deno");
 * ```
 */
export async function kernelNames(server: NotebookServer): Promise<string[]> {
  const r = await fetch(`${server.url}/api/kernelspecs`, {
    headers: { Authorization: `token ${server.token}` },
  });
  const body = await r.json() as { kernelspecs?: Record<string, unknown> };
  return Object.keys(body.kernelspecs ?? {});
}
