/**
 * The dashboard's composition root: takes the registry from
 * `plugins/mod.ts`, opens the run store, bundles the islands, loads the
 * routes under `web/routes/` and serves them. `pleura serve` starts it;
 * tests start it in-process on port 0.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  createRegistry,
  type Logger,
  nullLogger,
  openRunStore,
  type Registry,
} from "../core/mod.ts";
import { plugins } from "../plugins/mod.ts";
import { bundleIslands } from "./server/bundle.ts";
import { EvaluationCache } from "./server/froc_data.ts";
import { json, problem, SECURITY_HEADERS } from "./server/http.ts";
import { createLauncher } from "./server/launcher.ts";
import { fromFileUrl } from "./server/paths.ts";
import { notFoundPage, renderPage } from "./server/render.ts";
import { createRouter, loadRoutes } from "./server/router.ts";
import { ScanService } from "./server/scans.ts";
import type { AppState, LaunchArgs } from "./server/state.ts";

/** Options of {@linkcode startDashboard}. */
export interface DashboardOptions {
  /** Interface to bind (default `127.0.0.1`). */
  readonly host?: string;
  /** Port (default 8000; 0 picks a free one). */
  readonly port?: number;
  /** The run store's folder (default `runs`). */
  readonly runsDir?: string;
  /** Folders scans may be read from (default `data`); the runs folder is always allowed. */
  readonly dataDirs?: readonly string[];
  /** Experiment YAML folder (default `configs`). */
  readonly configsDir?: string;
  /** Plugins (default: every plugin of `plugins/mod.ts`). */
  readonly registry?: Registry;
  /** Working directory of launched workers (default: the repository root). */
  readonly workerCwd?: string;
  /** Worker program and leading arguments (default `deno run -A main.ts`). */
  readonly workerCommand?: readonly string[];
  /** CLI arguments of a launched run (default `train <config> --runs <dir> --run-id <id>`). */
  readonly launchArgs?: LaunchArgs;
  /** Runs executing at once (default 1). */
  readonly maxConcurrentRuns?: number;
  /** Event-stream poll interval in ms (default 250). */
  readonly pollMs?: number;
  /** Paired-bootstrap resamples in comparisons (default 1000). */
  readonly compareResamples?: number;
  /** Where request errors are logged. */
  readonly logger?: Logger;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://host:port/`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The state handed to routes (tests use its store). */
  readonly state: AppState;
  /** Stops workers, ends event streams, closes the server and the store. */
  close(): Promise<void>;
}

const WEB_DIR = new URL("./", import.meta.url);
const REPO_ROOT = fromFileUrl(new URL("../", import.meta.url));

/** The default CLI arguments of a launched run. */
export const defaultLaunchArgs: LaunchArgs = (
  { configFile, runsDir, runId },
) => [
  "train",
  configFile,
  "--runs",
  runsDir,
  "--run-id",
  runId,
];

/** Static files (CSS), read once; served from memory under `/static/`. */
function staticAssets(): Map<string, { body: Uint8Array; type: string }> {
  const assets = new Map<string, { body: Uint8Array; type: string }>();
  assets.set("styles.css", {
    body: readFileSync(new URL("static/styles.css", WEB_DIR)),
    type: "text/css; charset=utf-8",
  });
  return assets;
}

/**
 * Starts the dashboard.
 *
 * @param options where to bind, which store and folders to use
 * @returns the running dashboard; `close()` it when done
 *
 * @example
 * ```ts ignore
 * const dashboard = await startDashboard({ port: 0, runsDir: "runs" });
 * console.log(`listening on ${dashboard.url}`);
 * await dashboard.close();
 * ```
 */
export async function startDashboard(
  options: DashboardOptions = {},
): Promise<Dashboard> {
  const host = options.host ?? "127.0.0.1";
  const runsDir = resolve(options.runsDir ?? "runs");
  const logger = options.logger ?? nullLogger;
  const registry = options.registry ?? createRegistry(plugins);
  const bundle = await bundleIslands(new URL("islands/", WEB_DIR));
  const routes = await loadRoutes<AppState>(new URL("routes/", WEB_DIR));
  const assets = staticAssets();
  for (const [name, body] of bundle.files) {
    assets.set(`js/${name}`, {
      body,
      type: "text/javascript; charset=utf-8",
    });
  }
  const store = openRunStore(runsDir);
  const closing = new AbortController();
  const launcher = createLauncher({
    store,
    cwd: options.workerCwd ?? REPO_ROOT,
    command: options.workerCommand,
    maxConcurrent: options.maxConcurrentRuns,
  });
  const state: AppState = {
    store,
    registry,
    configsDir: resolve(options.configsDir ?? "configs"),
    launcher,
    launchArgs: options.launchArgs ?? defaultLaunchArgs,
    evaluations: new EvaluationCache(),
    scans: new ScanService(
      [...(options.dataDirs ?? ["data"]), runsDir],
      registry,
    ),
    closing: closing.signal,
    pollMs: options.pollMs ?? 250,
    compareResamples: options.compareResamples ?? 1000,
    assets,
  };
  const route = createRouter(routes, state, renderPage, {
    notFound: (request, url) =>
      wantsHtml(request, url)
        ? notFoundPage(`Nothing lives at ${JSON.stringify(url.pathname)}.`)
        : problem(404, `Cannot find ${JSON.stringify(url.pathname)}`),
    methodNotAllowed: (request, allowed) =>
      json(
        {
          error: `Cannot ${request.method} ${
            new URL(request.url).pathname
          }: expected one of ${allowed.join(", ")}`,
        },
        405,
        { allow: allowed.join(", ") },
      ),
    error: (request, url, error) => {
      logger.error(`Request failed: ${request.method} ${url.pathname}`, {
        error: error instanceof Error ? error.message : String(error),
      });
      return problem(
        500,
        `Cannot answer ${request.method} ${url.pathname}: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    },
  });
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: host,
    port: options.port ?? 8000,
    signal: closing.signal,
    onListen: (addr) => listening.resolve(addr as Deno.NetAddr),
    onError: (error) => {
      logger.error("Request failed", {
        error: error instanceof Error ? error.message : String(error),
      });
      return problem(500, "Cannot answer the request: internal error");
    },
  }, async (request) => {
    const started = performance.now();
    const response = await route(request);
    // Time to build the response (pages render synchronously in handlers).
    response.headers.set(
      "server-timing",
      `app;dur=${(performance.now() - started).toFixed(2)}`,
    );
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
      if (!response.headers.has(k)) response.headers.set(k, v);
    }
    return response;
  });
  const addr = await listening.promise;
  const shownHost = addr.hostname.includes(":")
    ? `[${addr.hostname}]`
    : addr.hostname;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${addr.port}/`,
    port: addr.port,
    state,
    close() {
      closed ??= (async () => {
        await launcher.stopAll();
        closing.abort();
        await server.finished;
        store.close();
      })();
      return closed;
    },
  };
}

function wantsHtml(request: Request, url: URL): boolean {
  return !url.pathname.startsWith("/api/") &&
    !url.pathname.startsWith("/static/") &&
    (request.headers.get("accept") ?? "").includes("text/html");
}
