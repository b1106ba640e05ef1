import assert from "node:assert/strict";
import { lossContract } from "../../core/testing/loss_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { weightedLoss } from "./mod.ts";

lossContract("weighted", {
  create: () =>
    weightedLoss.create(weightedLoss.options.parse({}), testPluginContext()),
});
lossContract("weighted (lambda 4)", {
  create: () =>
    weightedLoss.create(
      weightedLoss.options.parse({ lambda: 4 }),
      testPluginContext(),
    ),
});

Deno.test("weighted defaults to lambda 1 and rejects a negative lambda", () => {
  assert.deepEqual(weightedLoss.options.parse({}), { lambda: 1 });
  const result = weightedLoss.options.safeParse({ lambda: -1 });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues[0].path, ["lambda"]);
});
