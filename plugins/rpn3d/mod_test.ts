import assert from "node:assert/strict";
import { anchorHeadContract } from "../../core/testing/anchor_head_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { rpn3dAnchorHead } from "./mod.ts";

anchorHeadContract("rpn3d", {
  create: () =>
    rpn3dAnchorHead.create(
      rpn3dAnchorHead.options.parse({}),
      testPluginContext(),
    ),
  numNeg: 800,
});
anchorHeadContract("rpn3d (few negatives, two anchors)", {
  create: () =>
    rpn3dAnchorHead.create(
      rpn3dAnchorHead.options.parse({
        num_neg: 20,
        anchors_mm: [6, 20],
        hidden_channels: 5,
      }),
      testPluginContext(),
    ),
  numNeg: 20,
  features: { channels: 3, stride: 4 },
});

Deno.test("rpn3d defaults are the reference's", () => {
  assert.deepEqual(rpn3dAnchorHead.options.parse({}), {
    anchors_mm: [10, 30, 60],
    stride: 4,
    hidden_channels: 64,
    th_pos: 0.5,
    th_pos_val: 1,
    th_neg: 0.02,
    num_neg: 800,
    positives: "one",
    fallback_radius: 0,
    nms_iou: 0.05,
    min_logit: -3,
    hidden_slope: 0,
    prior: null,
  });
  const head = rpn3dAnchorHead.create(
    rpn3dAnchorHead.options.parse({}),
    testPluginContext(),
  );
  assert.deepEqual(head.anchors, [10, 30, 60]);
  assert.equal(head.stride, 4);
  // Reference §2.1 head row: 128 → 64 → 15 with biases.
  assert.equal(head.countParameters({ channels: 128, stride: 4 }), 9231);
});

Deno.test("rpn3d rejects options out of range with their names", () => {
  const result = rpn3dAnchorHead.options.safeParse({
    th_neg: 0,
    anchors_mm: [],
  });
  assert.equal(result.success, false);
  assert.deepEqual(result.error?.issues.map((i) => i.path.join(".")).sort(), [
    "anchors_mm",
    "th_neg",
  ]);
});
