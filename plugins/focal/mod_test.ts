import assert from "node:assert/strict";
import { lossContract } from "../../core/testing/loss_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { focalLoss } from "./mod.ts";

lossContract("focal", {
  create: () =>
    focalLoss.create(focalLoss.options.parse({}), testPluginContext()),
});
lossContract("focal (gamma 0)", {
  create: () =>
    focalLoss.create(
      focalLoss.options.parse({ gamma: 0 }),
      testPluginContext(),
    ),
});

Deno.test("focal defaults to alpha 0.25, gamma 2 and rejects alpha above 1", () => {
  assert.deepEqual(focalLoss.options.parse({}), { alpha: 0.25, gamma: 2 });
  const result = focalLoss.options.safeParse({ alpha: 1.5 });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues[0].path, ["alpha"]);
});
