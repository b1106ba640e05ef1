/**
 * Starts runs in background worker processes: the `pleura` CLI
 * (`deno run -A main.ts <args>`) in its own process, so a crash or a long
 * training never touches the dashboard. The launcher owns the run's
 * lifecycle in the store around the process: `queued` while waiting for a
 * free slot, `running` once started, `failed` with the process's last error
 * lines when it exits non-zero (unless the worker recorded its own outcome),
 * `done` when it exits cleanly without having recorded one.
 *
 * @module
 */

import type { RunStore } from "../../core/mod.ts";

/** One launch: which run, and the CLI arguments that perform it. */
export interface LaunchRequest {
  /** The run (already created in the store, status `queued`). */
  readonly runId: string;
  /** Arguments after `main.ts`, e.g. `["train", "configs/x.yaml", "--runs", "runs"]`. */
  readonly args: readonly string[];
}

/** Starts and tracks worker processes. */
export interface Launcher {
  /** Queues a run; it starts when fewer than `maxConcurrent` are running. */
  launch(request: LaunchRequest): void;
  /** Ids of runs queued or running in this launcher. */
  active(): string[];
  /** Resolves when the run's process has exited (immediately when unknown). */
  settled(runId: string): Promise<void>;
  /** Stops every worker (SIGTERM), marks their runs failed, waits for them. */
  stopAll(): Promise<void>;
}

/** Options of {@linkcode createLauncher}. */
export interface LauncherOptions {
  /** Where runs are recorded. */
  readonly store: RunStore;
  /** Working directory of the workers (the repository root). */
  readonly cwd: string;
  /** The program and leading arguments (default: `deno run -A main.ts`). */
  readonly command?: readonly string[];
  /** Runs at once (default 1: training uses every core). */
  readonly maxConcurrent?: number;
  /** Characters of stderr kept for the error message (default 4000). */
  readonly errorTailChars?: number;
}

/** Removes ANSI colour codes from process output. */
export function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

/**
 * The error message of a failed process: its last non-empty stderr lines,
 * or the exit code when it printed nothing.
 */
export function failureMessage(
  stderrTail: string,
  code: number,
  signal: string | null,
): string {
  const lines = stripAnsi(stderrTail).split("\n").map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "");
  const how = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
  if (lines.length === 0) return `The worker process ${how}`;
  return lines.slice(-12).join("\n");
}

/**
 * Creates a launcher.
 *
 * @example
 * ```ts ignore
 * const launcher = createLauncher({ store, cwd: repoRoot });
 * launcher.launch({ runId: run.id, args: ["train", "configs/x.yaml", "--runs", store.root, "--run-id", run.id] });
 * ```
 */
export function createLauncher(options: LauncherOptions): Launcher {
  const { store, cwd } = options;
  const command = options.command ??
    [Deno.execPath(), "run", "-A", "main.ts"];
  const maxConcurrent = Math.max(1, options.maxConcurrent ?? 1);
  const tailChars = options.errorTailChars ?? 4000;
  const waiting: LaunchRequest[] = [];
  const running = new Map<
    string,
    { child: Deno.ChildProcess; done: Promise<void> }
  >();
  const settledWaiters = new Map<string, Array<() => void>>();
  let stopping = false;

  const settle = (runId: string) => {
    for (const resolve of settledWaiters.get(runId) ?? []) resolve();
    settledWaiters.delete(runId);
  };

  const log = (runId: string, level: string, message: string) => {
    try {
      store.appendEvent(runId, "log", { level, message, time: Date.now() });
    } catch {
      // The run may have been removed meanwhile; nothing to record then.
    }
  };

  const fail = (runId: string, error: string) => {
    store.updateRun(runId, { status: "failed", error, endedAt: Date.now() });
    log(runId, "error", error);
  };

  const pump = () => {
    while (!stopping && running.size < maxConcurrent && waiting.length > 0) {
      start(waiting.shift()!);
    }
  };

  const start = (request: LaunchRequest) => {
    const { runId } = request;
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(command[0], {
        args: [...command.slice(1), ...request.args],
        cwd,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
        env: { NO_COLOR: "1" },
      }).spawn();
    } catch (error) {
      fail(
        runId,
        `Cannot start the worker process: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
      settle(runId);
      return;
    }
    store.updateRun(runId, { status: "running", startedAt: Date.now() });
    log(runId, "info", `Started worker: pleura ${request.args.join(" ")}`);
    const done = (async () => {
      let tail = "";
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        tail = (tail + decoder.decode(chunk, { stream: true })).slice(
          -tailChars,
        );
      }
      const status = await child.status;
      const run = store.getRun(runId);
      const finished = run?.status === "done" || run?.status === "failed";
      if (status.success) {
        if (!finished) {
          store.updateRun(runId, { status: "done", endedAt: Date.now() });
        }
        log(runId, "info", "Worker exited cleanly");
      } else if (!finished) {
        fail(runId, failureMessage(tail, status.code, status.signal));
      }
    })().catch((error) => {
      fail(
        runId,
        `Worker supervision failed: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }).finally(() => {
      running.delete(runId);
      settle(runId);
      pump();
    });
    running.set(runId, { child, done });
  };

  return {
    launch(request) {
      if (stopping) {
        fail(request.runId, "Cannot start the run: the dashboard is stopping");
        return;
      }
      waiting.push(request);
      log(request.runId, "info", "Queued");
      pump();
    },
    active: () => [...waiting.map((r) => r.runId), ...running.keys()],
    settled(runId) {
      if (!running.has(runId) && !waiting.some((r) => r.runId === runId)) {
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const list = settledWaiters.get(runId) ?? [];
        list.push(resolve);
        settledWaiters.set(runId, list);
      });
    },
    async stopAll() {
      stopping = true;
      for (const request of waiting.splice(0)) {
        fail(
          request.runId,
          "Cancelled: the dashboard stopped before the run started",
        );
        settle(request.runId);
      }
      const pending = [...running.entries()];
      for (const [runId, { child }] of pending) {
        store.updateRun(runId, {
          status: "failed",
          error: "Stopped: the dashboard was closed while the run was going",
          endedAt: Date.now(),
        });
        try {
          child.kill("SIGTERM");
        } catch {
          // Already exited.
        }
      }
      await Promise.all(pending.map(([, { done }]) => done));
    },
  };
}
