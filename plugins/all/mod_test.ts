import assert from "node:assert/strict";
import { createRng } from "../../core/mod.ts";
import {
  minerContract,
  randomMinerInput,
} from "../../core/testing/miner_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { allMiner } from "./mod.ts";

minerContract(
  "all",
  () => allMiner.create(allMiner.options.parse({}), testPluginContext()),
);

Deno.test("all selects the same rows in training and validation", () => {
  const miner = allMiner.create({}, testPluginContext());
  const input = randomMinerInput(9);
  const training = miner.select(input, true, createRng(0));
  const validation = miner.select(input, false, createRng(0));
  assert.deepEqual([...training.negatives], [...validation.negatives]);
  assert.equal(
    training.negatives.length,
    input.labels.filter((label) => label === -1).length,
  );
});
