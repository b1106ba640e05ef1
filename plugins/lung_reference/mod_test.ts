import assert from "node:assert/strict";
import { testSegmenterContract } from "../../core/testing/segmenter_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { lungReferenceSegmenter } from "./mod.ts";

testSegmenterContract(
  "lung_reference",
  () =>
    lungReferenceSegmenter.create(
      lungReferenceSegmenter.options.parse({}),
      testPluginContext(),
    ),
);

Deno.test("lung_reference options default to the reference values and validate", () => {
  const resolved = lungReferenceSegmenter.options.parse({});
  assert.equal(resolved.threshold_hu, -600);
  assert.deepEqual(resolved.volume_l, [0.68, 8.2]);
  assert.equal(resolved.distance_mm, 62);
  assert.equal(resolved.keep_two_largest, false);
  const relaxed = lungReferenceSegmenter.options.parse({
    threshold_hu: -150,
    distance_mm: 92,
  });
  assert.equal(relaxed.threshold_hu, -150);
  const bad = lungReferenceSegmenter.options.safeParse({ volume_l: [8, 1] });
  assert.equal(bad.success, false);
  assert.match(
    JSON.stringify(bad.error?.issues),
    /volume_l\[0\] must be below volume_l\[1\]/,
  );
});

Deno.test("lung_reference turns its options into the settings it runs with", async () => {
  // With the reference's own behaviour only (no wall closing, notch fill or
  // rim), the report has none of those steps.
  const segmenter = lungReferenceSegmenter.create(
    lungReferenceSegmenter.options.parse({
      wall_fill_mm: 0,
      notch_max_mm2: 0,
      rim_steps: 0,
    }),
    testPluginContext(),
  );
  const { chestPhantom } = await import(
    "../../core/testing/segmenter_contract.ts"
  );
  const masks = await segmenter.segment(chestPhantom().volume);
  const steps = masks.report.decisions.map((d) => d.step);
  assert.ok(
    !steps.includes("wall_fill") && !steps.includes("notch_fill") &&
      !steps.includes("rim"),
  );
  assert.equal(masks.report.lungCount, 2);
});
