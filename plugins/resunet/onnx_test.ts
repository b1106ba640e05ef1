import assert from "node:assert/strict";
import { createEngine } from "../../core/engine/mod.ts";
import { createRng, type NamedWeights } from "../../core/mod.ts";
import { exportBackbone } from "../../core/onnx/export.ts";
import { createOnnxModel } from "../../core/onnx/inference.ts";
import {
  backboneInputs,
  runOnBackboneInputs,
  worstAndScale,
} from "../../core/testing/backbone_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import type { ConvUnit } from "./architecture.ts";
import { resunet } from "./mod.ts";
import { foldUnit } from "./onnx.ts";

/** A tiny resunet: every kind of block (shortcut and identity) at 1–5 channels. */
const TINY = {
  pre_channels: 2,
  stage_channels: [3, 4, 4, 4],
  stage_blocks: [1, 1, 1, 1],
  back_channels: [4, 5],
  back_blocks: [1, 1],
};

Deno.test("foldUnit() folds BN into a conv and reorders the filter to ONNX", () => {
  const unit: ConvUnit = {
    conv: "c",
    bn: "b",
    kind: "conv",
    kernel: 1,
    inChannels: 2,
    outChannels: 3,
    level: 0,
  };
  const w = (shape: number[], values: number[]) => ({
    shape,
    data: new Float32Array(values),
  });
  const weights: NamedWeights = new Map([
    // tfjs [1,1,1,in=2,out=3]: filter[i][o] = 10·i + o
    ["c.filter", w([1, 1, 1, 2, 3], [0, 1, 2, 10, 11, 12])],
    ["c.bias", w([3], [1, 2, 3])],
    ["b.gamma", w([3], [2, 1, 1])],
    ["b.beta", w([3], [0, 1, 0])],
    ["b.movingMean", w([3], [1, 0, 5])],
    ["b.movingVariance", w([3], [4, 1, 0.25])],
  ]);
  const folded = foldUnit(unit, weights, 0);
  // s = γ/√var = [1, 1, 2]; W' [out][in] = W[in][out]·s[out]
  assert.deepEqual(folded.shape, [3, 2, 1, 1, 1]);
  assert.deepEqual([...folded.weight], [0, 10, 1, 11, 4, 24]);
  // b' = (b − mean)·s + β = [0, 3, −4]
  assert.deepEqual([...folded.bias], [0, 3, -4]);
});

Deno.test("foldUnit() reorders a transposed conv's filter to ONNX [in, out, k, k, k]", () => {
  const unit: ConvUnit = {
    conv: "u",
    bn: "n",
    kind: "deconv",
    kernel: 2,
    inChannels: 2,
    outChannels: 1,
    level: 0,
  };
  // tfjs [2,2,2,out=1,in=2]: value = 10·tap + in
  const filter = Float32Array.from(
    { length: 16 },
    (_, k) => 10 * Math.floor(k / 2) + (k % 2),
  );
  const weights: NamedWeights = new Map([
    ["u.filter", { shape: [2, 2, 2, 1, 2], data: filter }],
    ["n.movingMean", { shape: [1], data: new Float32Array([0]) }],
    ["n.movingVariance", { shape: [1], data: new Float32Array([1]) }],
  ]);
  const folded = foldUnit(unit, weights, 0);
  assert.deepEqual(folded.shape, [2, 1, 2, 2, 2]);
  assert.deepEqual(
    [...folded.weight],
    [0, 10, 20, 30, 40, 50, 60, 70, 1, 11, 21, 31, 41, 51, 61, 71],
  );
  assert.deepEqual([...folded.bias], [0]);
});

for (
  const variant of [
    { name: "PyTorch-style", options: {} },
    {
      name: "Caffe-style (no BN affine, no bias)",
      options: { bn_affine: false, conv_bias: false },
    },
    { name: "two input channels", options: { input_channels: 2 } },
  ]
) {
  Deno.test(`resunet ONNX export equals the tfjs eval forward within 1e-4 (${variant.name})`, async () => {
    const engine = await createEngine("tfjs-cpu");
    const tf = engine.tf;
    const backbone = resunet.create(
      resunet.options.parse({ ...TINY, ...variant.options }),
      testPluginContext(),
    );
    const network = backbone.build(engine, createRng(2));
    const input = backboneInputs(
      engine,
      4,
      2,
      [32, 16, 32],
      3,
      backbone.inputChannels,
    );
    // Training passes give non-trivial running statistics to fold.
    for (let i = 0; i < 2; i++) {
      network.apply(input.image, input.coord, true).dispose();
    }
    const expected = network.apply(input.image, input.coord, false);
    const { bytes, output } = exportBackbone(backbone, network);
    const model = await createOnnxModel(bytes, { threads: 1 });
    const got = await runOnBackboneInputs(model, input, output);
    assert.deepEqual([...got.dims], [2, 8, 4, 8, 5]);
    const want = expected.dataSync();
    const { worst, scale } = worstAndScale(got.data, want);
    assert.ok(scale > 0.1, "degenerate output");
    assert.ok(worst < 1e-4 * scale, `max error ${worst}, scale ${scale}`);
    await model.dispose();
    tf.dispose([expected, input.image, input.coord]);
    network.dispose();
    engine.dispose();
  });
}

Deno.test("resunet export refuses weights of another shape", async () => {
  const engine = await createEngine("tfjs-cpu");
  const backbone = resunet.create(
    resunet.options.parse(TINY),
    testPluginContext(),
  );
  const other = resunet.create(
    resunet.options.parse({ ...TINY, pre_channels: 3 }),
    testPluginContext(),
  );
  const network = other.build(engine, createRng(1));
  assert.throws(() => exportBackbone(backbone, network), {
    name: "ShapeError",
    message:
      'Cannot use resunet weight "preBlock.conv1.filter": shape is [3, 3, 3, 1, 3], expected [3, 3, 3, 1, 2]',
  });
  network.dispose();
  engine.dispose();
});
