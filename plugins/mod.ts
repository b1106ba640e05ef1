/**
 * The plugin list: every plugin Pleura ships, registered explicitly. The
 * composition roots (`main.ts`, `web/main.ts`) hand this list to
 * `createRegistry`. Add a plugin by importing its definition and listing it.
 *
 * @module
 */

import type { AnyPluginDefinition } from "../core/mod.ts";
import { lungReferenceSegmenter } from "./lung_reference/mod.ts";
import { thresholdOnlySegmenter } from "./threshold_only/mod.ts";
import { noneSegmenter } from "./none/mod.ts";
import { resunet } from "./resunet/mod.ts";
import { rpn3dAnchorHead } from "./rpn3d/mod.ts";
import { topKMiner } from "./topk/mod.ts";
import { randomMiner } from "./random/mod.ts";
import { allMiner } from "./all/mod.ts";
import { balancedLoss } from "./balanced/mod.ts";
import { weightedLoss } from "./weighted/mod.ts";
import { focalLoss } from "./focal/mod.ts";

/** Every plugin, grouped by kind. */
export const plugins: readonly AnyPluginDefinition[] = [
  // segmenter
  lungReferenceSegmenter,
  thresholdOnlySegmenter,
  noneSegmenter,
  // backbone
  resunet,
  // anchor_head
  rpn3dAnchorHead,
  // miner
  topKMiner,
  randomMiner,
  allMiner,
  // loss
  balancedLoss,
  weightedLoss,
  focalLoss,
];
