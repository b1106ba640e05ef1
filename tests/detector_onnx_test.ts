import assert from "node:assert/strict";
import { createEngine } from "../core/engine/mod.ts";
import { createRng } from "../core/mod.ts";
import { exportDetector } from "../core/onnx/export.ts";
import { createOnnxModel } from "../core/onnx/inference.ts";
import {
  backboneInputs,
  runOnBackboneInputs,
  worstAndScale,
} from "../core/testing/backbone_contract.ts";
import { testPluginContext } from "../core/testing/plugin_context.ts";
import { resunet } from "../plugins/resunet/mod.ts";
import { rpn3dAnchorHead } from "../plugins/rpn3d/mod.ts";

Deno.test("resunet150 + rpn3d have the reference's 5,383,623 parameters and 42 weighted layers (§2.1)", () => {
  const context = testPluginContext();
  const backbone = resunet.create(resunet.options.parse({}), context);
  const head = rpn3dAnchorHead.create(
    rpn3dAnchorHead.options.parse({}),
    context,
  );
  assert.equal(
    backbone.counts().parameters + head.countParameters(backbone.output),
    5_383_623,
  );
  // Head: 2 weighted layers; Caffe objects 2 Convolution, 1 ReLU, 2 Reshape,
  // 1 transpose, 1 anchor target, 1 data, 3 losses (§2.2: 151 in all).
  assert.equal(backbone.counts().weightedLayers + 2, 42);
  assert.equal(backbone.counts().caffeLayers + 11, 151);
});

for (const slope of [0, 0.2]) {
  Deno.test(`resunet + rpn3d (hidden_slope ${slope}) exported to ONNX equal the tfjs eval forward within 1e-4`, async () => {
    const engine = await createEngine("tfjs-cpu");
    const tf = engine.tf;
    const context = testPluginContext();
    const backbone = resunet.create(
      resunet.options.parse({
        pre_channels: 2,
        stage_channels: [3, 4, 4, 4],
        stage_blocks: [1, 1, 1, 1],
        back_channels: [4, 6],
        back_blocks: [1, 1],
      }),
      context,
    );
    const head = rpn3dAnchorHead.create(
      rpn3dAnchorHead.options.parse({
        hidden_channels: 5,
        hidden_slope: slope,
      }),
      context,
    );
    const body = backbone.build(engine, createRng(1));
    const headNet = head.build(engine, backbone.output, createRng(2));
    const input = backboneInputs(engine, 4, 2, [32, 16, 16], 3);
    for (let i = 0; i < 2; i++) {
      tf.tidy(() => {
        headNet.apply(body.apply(input.image, input.coord, true), true);
      });
    }
    const expected = tf.tidy(() =>
      headNet.apply(body.apply(input.image, input.coord, false), false)
    );
    assert.deepEqual(expected.shape, [2, 8, 4, 4, 15]);
    const { bytes, output } = exportDetector(backbone, body, head, headNet);
    const model = await createOnnxModel(bytes, { threads: 1 });
    const got = await runOnBackboneInputs(model, input, output);
    assert.deepEqual([...got.dims], expected.shape);
    const want = expected.dataSync();
    const { worst, scale } = worstAndScale(got.data, want);
    assert.ok(scale > 0.01, "degenerate output");
    assert.ok(worst < 1e-4 * scale, `max error ${worst}, scale ${scale}`);
    await model.dispose();
    tf.dispose([expected, input.image, input.coord]);
    body.dispose();
    headNet.dispose();
    engine.dispose();
  });
}
