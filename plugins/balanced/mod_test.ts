import assert from "node:assert/strict";
import { lossContract } from "../../core/testing/loss_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { balancedLoss } from "./mod.ts";

lossContract("balanced", {
  create: () =>
    balancedLoss.create(balancedLoss.options.parse({}), testPluginContext()),
});

Deno.test("balanced has no options", () => {
  assert.deepEqual(balancedLoss.options.parse({}), {});
  assert.equal(balancedLoss.id, "balanced");
  assert.equal(balancedLoss.kind, "loss");
});
