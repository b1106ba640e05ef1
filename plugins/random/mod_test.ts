import assert from "node:assert/strict";
import { createRng } from "../../core/mod.ts";
import {
  minerContract,
  randomMinerInput,
} from "../../core/testing/miner_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { randomMiner } from "./mod.ts";

minerContract(
  "random",
  () => randomMiner.create(randomMiner.options.parse({}), testPluginContext()),
);

Deno.test("random draws differently for different seeds", () => {
  const miner = randomMiner.create(
    randomMiner.options.parse({ k: 5 }),
    testPluginContext(),
  );
  const input = randomMinerInput(8, 2, 200);
  const a = miner.select(input, true, createRng(1)).negatives;
  const b = miner.select(input, true, createRng(2)).negatives;
  assert.equal(a.length, 10);
  assert.notDeepEqual([...a], [...b]);
});

Deno.test("random defaults to k 2 and rejects k below 1", () => {
  assert.deepEqual(randomMiner.options.parse({}), { k: 2 });
  assert.equal(randomMiner.options.safeParse({ k: 0 }).success, false);
});
