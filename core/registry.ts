/**
 * The plugin registry: an explicit list of definitions, looked up by kind and
 * id. Nothing registers itself; `plugins/mod.ts` lists every plugin and the
 * composition roots hand that list to {@linkcode createRegistry}.
 *
 * @module
 */

import type { z } from "zod";
import type { AnchorHead } from "./anchor_head.ts";
import type { Backbone } from "./backbone.ts";
import { PluginError } from "./errors.ts";
import type { Loss } from "./loss.ts";
import type { Miner } from "./miner.ts";
import type {
  OptionsSchema,
  PluginContext,
  PluginDefinition,
} from "./plugin.ts";
import type { Segmenter } from "./segmenter.ts";

/** The interface each slot kind produces. */
export interface PluginKinds {
  /** Lung segmentation. */
  segmenter: Segmenter;
  /** Network body. */
  backbone: Backbone;
  /** Anchors, targets, decoding, NMS. */
  anchor_head: AnchorHead;
  /** Negative selection. */
  miner: Miner;
  /** Training loss. */
  loss: Loss;
}

/** A slot kind. */
export type PluginKind = keyof PluginKinds;

/** The slot kinds in pipeline order. */
export const PLUGIN_KINDS: readonly PluginKind[] = [
  "segmenter",
  "backbone",
  "anchor_head",
  "miner",
  "loss",
];

/** A definition of any kind. */
export type AnyPluginDefinition = {
  [K in PluginKind]: PluginDefinition<K, PluginKinds[K], OptionsSchema>;
}[PluginKind];

/** Looks up and creates plugins. */
export interface Registry {
  /** Every definition, in registration order. */
  all(): readonly AnyPluginDefinition[];
  /** The ids registered for a kind. */
  ids(kind: PluginKind): string[];
  /** The definition of `id` for `kind`, or undefined. */
  get<K extends PluginKind>(
    kind: K,
    id: string,
  ): PluginDefinition<K, PluginKinds[K], OptionsSchema> | undefined;
  /**
   * Creates a component from already-resolved options; failures are wrapped
   * in a {@linkcode PluginError} naming the plugin.
   */
  create<K extends PluginKind>(
    kind: K,
    id: string,
    options: Record<string, unknown>,
    context: PluginContext,
  ): PluginKinds[K];
}

/**
 * Creates a registry; throws a TypeError on a duplicate id or an unknown kind.
 *
 * @example
 * ```ts
 * import { createRegistry } from "./registry.ts";
 * const registry = createRegistry([]);
 * registry.ids("miner"); // []
 * ```
 */
export function createRegistry(
  definitions: readonly AnyPluginDefinition[],
): Registry {
  const byId = new Map<string, AnyPluginDefinition>();
  for (const definition of definitions) {
    if (!PLUGIN_KINDS.includes(definition.kind)) {
      throw new TypeError(
        `Cannot register plugin "${definition.id}": kind is "${definition.kind}", expected one of ${
          PLUGIN_KINDS.map((k) => `"${k}"`).join(", ")
        }`,
      );
    }
    if (byId.has(definition.id)) {
      throw new TypeError(
        `Cannot register plugin "${definition.id}": the id is already registered (kind "${
          byId.get(definition.id)!.kind
        }"), expected unique ids`,
      );
    }
    byId.set(definition.id, definition);
  }
  const registry: Registry = {
    all: () => [...byId.values()],
    ids: (kind) =>
      [...byId.values()].filter((d) => d.kind === kind).map((d) => d.id),
    get<K extends PluginKind>(kind: K, id: string) {
      const definition = byId.get(id);
      if (!definition || definition.kind !== kind) return undefined;
      return definition as unknown as PluginDefinition<
        K,
        PluginKinds[K],
        OptionsSchema
      >;
    },
    create<K extends PluginKind>(
      kind: K,
      id: string,
      options: Record<string, unknown>,
      context: PluginContext,
    ): PluginKinds[K] {
      const definition = registry.get(kind, id);
      if (!definition) {
        throw new PluginError(
          id,
          `no ${kind} plugin has this id, expected one of ${
            registry.ids(kind).map((i) => `"${i}"`).join(", ")
          }`,
        );
      }
      try {
        context.logger.debug(`Creating ${kind} "${id}"`, { options });
        return definition.create(
          options as z.output<typeof definition.options>,
          context,
        );
      } catch (error) {
        if (error instanceof PluginError) throw error;
        throw new PluginError(
          id,
          error instanceof Error ? error.message : String(error),
          { cause: error },
        );
      }
    },
  };
  return registry;
}
