/**
 * `pleura plugins`: lists the registered plugins and their options.
 *
 * @module
 */

import { Command } from "commander";
import { describeOptions } from "../options.ts";
import type { CliContext } from "./context.ts";

/** Builds the `plugins` command. */
export function pluginsCommand(context: CliContext): Command {
  return new Command("plugins")
    .description("List registered plugins and their options")
    .option("--json", "print a JSON array of {kind, id, description, options}")
    .action((flags: { json?: boolean }) => {
      const list = context.registry.all().map((definition) => ({
        kind: definition.kind,
        id: definition.id,
        description: definition.description,
        options: describeOptions(definition.options),
      }));
      if (flags.json) {
        context.print(JSON.stringify(list, null, 2));
        return;
      }
      for (const entry of list) {
        context.print(`${entry.kind}/${entry.id}: ${entry.description}`);
        for (const option of entry.options) {
          context.print(
            `    ${option.name} (${option.type}, default ${
              JSON.stringify(option.default)
            }): ${option.description}`,
          );
        }
      }
    });
}
