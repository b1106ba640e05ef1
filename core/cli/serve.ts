/**
 * `pleura serve`: starts the web dashboard over a run store and prints
 * `listening on http://HOST:PORT/` once it accepts connections; stops on
 * SIGINT or SIGTERM. Binds 127.0.0.1 unless told otherwise.
 *
 * @module
 */

import { Command } from "commander";
import {
  type CliContext,
  type DashboardServeOptions,
  type RunningDashboard,
  UsageError,
} from "./context.ts";

/** Flags of `pleura serve`, as commander hands them over. */
interface ServeFlags {
  host: string;
  port: string;
  runs: string;
  data: string[];
  configs: string;
}

/**
 * Checks the flags and turns them into dashboard options.
 *
 * @throws UsageError naming the bad flag
 */
export function serveOptions(flags: ServeFlags): DashboardServeOptions {
  const port = Number(flags.port);
  if (
    !/^\d{1,5}$/.test(flags.port.trim()) || !Number.isInteger(port) ||
    port > 65535
  ) {
    throw new UsageError(
      `serve: option --port is "${flags.port}", expected an integer in [0, 65535] (0 picks a free port)`,
    );
  }
  if (!/^[A-Za-z0-9.:_-]+$/.test(flags.host)) {
    throw new UsageError(
      `serve: option --host is "${flags.host}", expected a host name or IP address`,
    );
  }
  for (
    const [name, value] of [["runs", flags.runs], [
      "configs",
      flags.configs,
    ]] as const
  ) {
    if (value.trim() === "") {
      throw new UsageError(
        `serve: option --${name} is empty, expected a folder`,
      );
    }
  }
  return {
    host: flags.host,
    port,
    runsDir: flags.runs,
    dataDirs: flags.data,
    configsDir: flags.configs,
  };
}

/**
 * Starts the dashboard, prints its address, and closes it when `until`
 * settles.
 *
 * @param context the CLI context (its `startDashboard` is used)
 * @param options where to bind and what to serve
 * @param until resolves when the server should stop (a signal)
 */
export async function serve(
  context: CliContext,
  options: DashboardServeOptions,
  until: Promise<unknown>,
): Promise<void> {
  if (!context.startDashboard) {
    throw new UsageError(
      "serve: the dashboard is not available in this program (no web layer was composed)",
    );
  }
  let dashboard: RunningDashboard;
  try {
    dashboard = await context.startDashboard(options);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new UsageError(
        `serve: cannot listen on ${options.host}:${options.port}: the port is in use, expected a free port (or --port 0)`,
      );
    }
    throw error;
  }
  context.print(`listening on ${dashboard.url}`);
  try {
    await until;
  } finally {
    await dashboard.close();
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function nextSignal(): Promise<Deno.Signal> {
  return new Promise((resolve) => {
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
    const handlers = signals.map((signal) => {
      const handler = () => {
        signals.forEach((s, i) => Deno.removeSignalListener(s, handlers[i]));
        resolve(signal);
      };
      Deno.addSignalListener(signal, handler);
      return handler;
    });
  });
}

/** Builds the `serve` command. */
export function serveCommand(context: CliContext): Command {
  return new Command("serve")
    .description(
      "Start the web dashboard: runs, FROC comparisons, ablations, new runs",
    )
    .option("--host <host>", "interface to bind", "127.0.0.1")
    .option("--port <port>", "port (0 picks a free one)", "8000")
    .option("--runs <dir>", "run store folder", "runs")
    .option(
      "--data <dir...>",
      "folders the CT viewer may read scans from (the runs folder always)",
      ["data"],
    )
    .option("--configs <dir>", "experiment YAML folder", "configs")
    .action(async (flags: ServeFlags) => {
      await serve(context, serveOptions(flags), nextSignal());
    });
}
