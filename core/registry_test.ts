import assert from "node:assert/strict";
import { z } from "zod";
import { PluginError } from "./errors.ts";
import { createRecorder } from "./logger.ts";
import { defineMiner } from "./miner.ts";
import type { PluginContext } from "./plugin.ts";
import { createRng } from "./random.ts";
import { type AnyPluginDefinition, createRegistry } from "./registry.ts";

function context(): PluginContext & ReturnType<typeof createRecorder> {
  const recorder = createRecorder();
  return {
    ...recorder,
    rng: createRng(1),
    paths: { cacheDir: "/tmp" },
  };
}

const topk = defineMiner({
  id: "topk",
  description: "k hardest negatives",
  options: z.object({ k: z.int().default(2).describe("k") }),
  create: (options) => ({
    select: () => ({
      positives: new Int32Array(0),
      negatives: new Int32Array(options.k),
    }),
  }),
});

Deno.test("createRegistry() looks plugins up by kind and id", () => {
  const registry = createRegistry([topk]);
  assert.deepEqual(registry.ids("miner"), ["topk"]);
  assert.deepEqual(registry.ids("loss"), []);
  assert.equal(registry.get("miner", "topk"), topk);
  assert.equal(registry.get("loss", "topk"), undefined);
  assert.equal(registry.all().length, 1);
});

Deno.test("createRegistry() rejects duplicate ids and unknown kinds", () => {
  assert.throws(
    () => createRegistry([topk, topk]),
    /Cannot register plugin "topk": the id is already registered \(kind "miner"\)/,
  );
  const odd = { ...topk, kind: "optimizer" } as unknown as AnyPluginDefinition;
  assert.throws(
    () => createRegistry([odd]),
    /kind is "optimizer", expected one of "segmenter"/,
  );
});

Deno.test("Registry.create() builds a component and logs its options at debug level", () => {
  const registry = createRegistry([topk]);
  const ctx = context();
  const miner = registry.create("miner", "topk", { k: 5 }, ctx);
  const selection = miner.select(
    {
      logits: new Float32Array(0),
      labels: new Float32Array(0),
      batchSize: 1,
      rowsPerSample: 0,
    },
    true,
    ctx.rng,
  );
  assert.equal(selection.negatives.length, 5);
  assert.deepEqual(ctx.records.map((r) => [r.level, r.message, r.data]), [
    ["debug", 'Creating miner "topk"', { options: { k: 5 } }],
  ]);
});

Deno.test("Registry.create() wraps plugin failures in a PluginError naming the plugin", () => {
  const broken = defineMiner({
    id: "broken",
    description: "fails",
    options: z.object({}),
    create: () => {
      throw new RangeError("k must be positive");
    },
  });
  const registry = createRegistry([broken]);
  assert.throws(
    () => registry.create("miner", "broken", {}, context()),
    (error: unknown) =>
      error instanceof PluginError && error.pluginId === "broken" &&
      error.message === 'Plugin "broken" failed: k must be positive' &&
      error.cause instanceof RangeError,
  );
  assert.throws(
    () => registry.create("miner", "nope", {}, context()),
    /Plugin "nope" failed: no miner plugin has this id, expected one of "broken"/,
  );
});
