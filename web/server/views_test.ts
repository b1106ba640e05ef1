import assert from "node:assert/strict";
import type { RunRecord } from "../../core/mod.ts";
import {
  configDiff,
  flattenConfig,
  matchesComponents,
  parseComponentFilter,
  summarizeRun,
  valueAt,
} from "./views.ts";

const RUN: RunRecord = {
  id: "20261126-170501-ab12",
  name: "reference",
  status: "running",
  configJson: "{}",
  configHash: "abc",
  schemaVersion: 1,
  slots: {
    segmenter: { plugin: "lung", options: {} },
    miner: { plugin: "topk", options: { k: 2 } },
  },
  createdAt: 1000,
  startedAt: 2000,
  cpm: NaN,
};

Deno.test("summarizeRun() lists components, hides NaN CPM and measures running time", () => {
  const summary = summarizeRun(RUN, 9000);
  assert.deepEqual(summary.components, { segmenter: "lung", miner: "topk" });
  assert.equal(summary.cpm, null);
  assert.equal(summary.durationMs, 7000);
  assert.equal(
    summarizeRun({ ...RUN, status: "done", endedAt: 5000 }, 9000).durationMs,
    3000,
  );
  assert.equal(
    summarizeRun({ ...RUN, status: "queued", startedAt: undefined }).durationMs,
    null,
  );
  assert.equal("configJson" in summary, false);
});

Deno.test("parseComponentFilter() accepts kind:plugin for the five slots only", () => {
  assert.deepEqual(parseComponentFilter("miner:topk"), {
    kind: "miner",
    plugin: "topk",
  });
  assert.equal(parseComponentFilter("pipeline:topk"), undefined);
  assert.equal(parseComponentFilter("miner"), undefined);
  assert.equal(parseComponentFilter("miner:a/b"), undefined);
  const summary = summarizeRun(RUN);
  assert.equal(
    matchesComponents(summary, [{ kind: "miner", plugin: "topk" }]),
    true,
  );
  assert.equal(
    matchesComponents(summary, [
      { kind: "miner", plugin: "topk" },
      { kind: "segmenter", plugin: "other" },
    ]),
    false,
  );
});

Deno.test("flattenConfig() and valueAt() address leaves by dotted path", () => {
  const config = { a: { b: [1, 2], c: { d: null }, e: {} }, f: "x" };
  assert.deepEqual([...flattenConfig(config)], [
    ["a.b", "[1,2]"],
    ["a.c.d", "null"],
    ["a.e", "{}"],
    ["f", '"x"'],
  ]);
  assert.deepEqual(valueAt(config, "a.b"), [1, 2]);
  assert.equal(valueAt(config, "a.b.0"), undefined);
  assert.equal(valueAt(config, "z.y"), undefined);
});

Deno.test("configDiff() lists components, then options, then settings that differ", () => {
  const a = {
    name: "a",
    model: { miner: { plugin: "topk", options: { k: 2, per_sample: true } } },
    train: { lr: 0.01, seed: 0 },
  };
  const b = {
    name: "b",
    model: { miner: { plugin: "random", options: { k: 2 } } },
    train: { lr: 0.02, seed: 0 },
  };
  assert.deepEqual(configDiff([a, b]), [
    {
      path: "model.miner.plugin",
      kind: "component",
      values: ['"topk"', '"random"'],
    },
    {
      path: "model.miner.options.per_sample",
      kind: "option",
      values: ["true", undefined],
    },
    { path: "train.lr", kind: "setting", values: ["0.01", "0.02"] },
  ]);
  assert.deepEqual(configDiff([a, structuredClone(a)]), []);
});
