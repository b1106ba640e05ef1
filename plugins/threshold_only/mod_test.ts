import assert from "node:assert/strict";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { testSegmenterContract } from "../../core/testing/segmenter_contract.ts";
import { thresholdOnlySegmenter } from "./mod.ts";

testSegmenterContract(
  "threshold_only",
  () =>
    thresholdOnlySegmenter.create(
      thresholdOnlySegmenter.options.parse({}),
      testPluginContext(),
    ),
);

Deno.test("threshold_only options have defaults and bounds", () => {
  const o = thresholdOnlySegmenter.options.parse({});
  assert.deepEqual(o, {
    threshold_hu: -600,
    max_components: 2,
    min_volume_ml: 50,
  });
  assert.equal(
    thresholdOnlySegmenter.options.safeParse({ max_components: 3 }).success,
    false,
  );
});
