// deno-lint-ignore-file no-console -- the CLI entry point is where output reaches the terminal
/**
 * `pleura`: the command-line entry point and one of the two composition roots.
 * It takes the registry from `plugins/mod.ts` and hands it to core's commands.
 *
 * @module
 */

import { Command, CommanderError } from "commander";
import { UsageError } from "./core/cli/context.ts";
import type { CliContext } from "./core/cli/context.ts";
import { createTerminalProgress } from "./core/cli/progress.ts";
import { createLogger } from "./core/logger.ts";
import { createRegistry } from "./core/registry.ts";
import { plugins } from "./plugins/mod.ts";
// Command builders, one file each under core/cli/.
import { pluginsCommand } from "./core/cli/plugins.ts";
import { evalCommand } from "./core/cli/eval.ts";
import { serveCommand } from "./core/cli/serve.ts";
import { synthCommand } from "./core/cli/synth.ts";
import { segmentCommand } from "./core/cli/segment.ts";
import { preprocessCommand } from "./core/cli/preprocess.ts";
import { predictCommand } from "./core/cli/predict.ts";
import { trainCommand } from "./core/cli/train.ts";
import { ablateCommand } from "./core/cli/ablate.ts";
import { demoCommand } from "./core/cli/demo.ts";

/** Builds the command tree; exported for tests. */
export function buildProgram(context: CliContext): Command {
  const program = new Command("pleura")
    .description(
      "Pleura: a plugin framework for 3D lung-nodule detectors (LUNA16 data, FROC).",
    )
    .showHelpAfterError(false)
    .exitOverride();
  const builders = [
    pluginsCommand,
    evalCommand,
    serveCommand,
    synthCommand,
    segmentCommand,
    preprocessCommand,
    predictCommand,
    trainCommand,
    ablateCommand,
    demoCommand,
  ];
  for (const build of builders) program.addCommand(build(context));
  // Errors are printed once, on one line, by main(); help goes to stdout.
  const output = {
    writeErr: () => {},
    writeOut: (text: string) =>
      Deno.stdout.writeSync(new TextEncoder().encode(text)),
  };
  const configure = (command: Command) => {
    command.exitOverride().configureOutput(output);
    command.commands.forEach(configure);
  };
  configure(program);
  return program;
}

async function main(args: string[]): Promise<number> {
  const verbose = args.includes("--verbose");
  const logger = createLogger(
    (record) => {
      const data = record.data && Object.keys(record.data).length > 0
        ? " " + JSON.stringify(record.data)
        : "";
      console.error(`[${record.level}] ${record.message}${data}`);
    },
    verbose ? "debug" : "info",
  );
  const context: CliContext = {
    registry: createRegistry(plugins),
    logger,
    progress: createTerminalProgress(),
    print: (line) => console.log(line),
    // The web layer loads only for `pleura serve`.
    startDashboard: (options) =>
      import("./web/main.ts").then((web) =>
        web.startDashboard({ ...options, registry: context.registry, logger })
      ),
  };
  const program = buildProgram(context);
  try {
    await program.parseAsync(args.filter((a) => a !== "--verbose"), {
      from: "user",
    });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === "commander.helpDisplayed" ||
        error.code === "commander.help" || error.code === "commander.version"
      ) return 0;
      console.error(`pleura: ${error.message.replace(/^error: /, "")}`);
      return 2;
    }
    if (error instanceof UsageError) {
      console.error(`pleura: ${error.message}`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    console.error(`pleura: ${message}`);
    if (verbose && error instanceof Error && error.stack) {
      console.error(error.stack);
    }
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
