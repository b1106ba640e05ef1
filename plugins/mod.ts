/**
 * The plugin list: every plugin Pleura ships, registered explicitly. The
 * composition roots (`main.ts`, `web/main.ts`) hand this list to
 * `createRegistry`. Add a plugin by importing its definition and listing it.
 *
 * @module
 */

import type { AnyPluginDefinition } from "../core/mod.ts";
import { resunet } from "./resunet/mod.ts";

/** Every plugin, grouped by kind. */
export const plugins: readonly AnyPluginDefinition[] = [
  // segmenter
  // backbone
  resunet,
  // anchor_head
  // miner
  // loss
];
