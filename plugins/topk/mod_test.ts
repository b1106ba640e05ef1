import assert from "node:assert/strict";
import { createRng } from "../../core/mod.ts";
import {
  minerContract,
  randomMinerInput,
} from "../../core/testing/miner_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { topKMiner } from "./mod.ts";

minerContract(
  "topk",
  () => topKMiner.create(topKMiner.options.parse({}), testPluginContext()),
);
minerContract(
  "topk (whole batch, k 3)",
  () =>
    topKMiner.create(
      topKMiner.options.parse({ k: 3, per_sample: false }),
      testPluginContext(),
    ),
);

Deno.test("topk defaults to k 2 per sample", () => {
  assert.deepEqual(topKMiner.options.parse({}), { k: 2, per_sample: true });
  const miner = topKMiner.create(
    topKMiner.options.parse({}),
    testPluginContext(),
  );
  const input = randomMinerInput(3, 4, 100);
  const selection = miner.select(input, true, createRng(0));
  // Every sample of this batch has more than 2 candidates: 2 per sample.
  for (let s = 0; s < 4; s++) {
    const inSample = [...selection.negatives].filter((r) =>
      Math.floor(r / 100) === s
    );
    assert.equal(inSample.length, 2);
  }
});

Deno.test("topk rejects k below 1", () => {
  const result = topKMiner.options.safeParse({ k: 0 });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues[0].path, ["k"]);
});
