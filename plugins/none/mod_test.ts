import assert from "node:assert/strict";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { testSegmenterContract } from "../../core/testing/segmenter_contract.ts";
import { noneSegmenter } from "./mod.ts";

testSegmenterContract(
  "none",
  () =>
    noneSegmenter.create(noneSegmenter.options.parse({}), testPluginContext()),
  { findsTwoLungs: false },
);

Deno.test("none options default to a -500 HU body threshold", () => {
  assert.deepEqual(noneSegmenter.options.parse({}), {
    body_threshold_hu: -500,
  });
  assert.equal(
    noneSegmenter.options.safeParse({ body_threshold_hu: 900 }).success,
    false,
  );
});
