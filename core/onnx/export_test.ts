import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import type { AnchorHead, HeadNetwork } from "../anchor_head.ts";
import { createEngine } from "../engine/mod.ts";
import { createRng } from "../random.ts";
import {
  backboneInputs,
  runOnBackboneInputs,
} from "../testing/backbone_contract.ts";
import { createToyBackbone } from "../testing/toy_backbone.ts";
import {
  COORD_INPUT,
  exportBackbone,
  exportDetector,
  IMAGE_INPUT,
} from "./export.ts";
import { createOnnxModel } from "./inference.ts";

function maxRelativeError(got: ArrayLike<number>, want: ArrayLike<number>) {
  assert.equal(got.length, want.length);
  let worst = 0, scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return worst / scale;
}

/** A head that only exports: one 1³ conv C → 5 (one anchor), no bias. */
function exportOnlyHead(
  filter: Float32Array,
  inChannels: number,
): AnchorHead {
  const unused = () => {
    throw new Error("not used by exportDetector");
  };
  return {
    anchors: [10],
    stride: 4,
    countParameters: unused,
    build: unused,
    targets: unused,
    decode: unused,
    nms: unused,
    exportOnnx(_network, graph, features) {
      const [x] = graph.node("Transpose", [features], {
        perm: [0, 4, 1, 2, 3],
      });
      const w = graph.initializer("head.w", [5, inChannels, 1, 1, 1], filter);
      const [y] = graph.node("Conv", [x, w], { kernel_shape: [1, 1, 1] });
      return graph.node("Transpose", [y], { perm: [0, 2, 3, 4, 1] })[0];
    },
  };
}

Deno.test("exportBackbone() runs in onnxruntime like the tfjs eval forward", async () => {
  const engine = await createEngine("tfjs-cpu");
  const tf = engine.tf;
  const backbone = createToyBackbone({ channels: 3 });
  const network = backbone.build(engine, createRng(1));
  const input = backboneInputs(engine, 4, 2, [8, 12, 16], 2);
  // Training passes move the running statistics off 0/1.
  for (let i = 0; i < 3; i++) {
    network.apply(input.image, input.coord, true).dispose();
  }
  const expected = network.apply(input.image, input.coord, false);
  const exported = exportBackbone(backbone, network);
  assert.deepEqual(exported.inputs, { image: IMAGE_INPUT, coord: COORD_INPUT });
  const model = await createOnnxModel(exported.bytes, { threads: 1 });
  assert.deepEqual(model.outputNames, [exported.output]);
  const features = await runOnBackboneInputs(model, input, exported.output);
  assert.deepEqual([...features.dims], expected.shape);
  assert.ok(maxRelativeError(features.data, expected.dataSync()) < 1e-5);
  await model.dispose();
  tf.dispose([expected, input.image, input.coord]);
  network.dispose();
  engine.dispose();
});

Deno.test("exportDetector() appends the head to the backbone's features", async () => {
  const engine = await createEngine("tfjs-cpu");
  const tf = engine.tf;
  const backbone = createToyBackbone({ channels: 2 });
  const network = backbone.build(engine, createRng(3));
  const rng = createRng(4);
  const channels = backbone.output.channels;
  const filter = Float32Array.from(
    { length: 5 * channels },
    () => rng.normal(),
  );
  const head = exportOnlyHead(filter, channels);
  const input = backboneInputs(engine, 4, 1, [8, 8, 8], 5);
  const { bytes, output } = exportDetector(
    backbone,
    network,
    head,
    {} as HeadNetwork,
  );
  const model = await createOnnxModel(bytes, { threads: 1 });
  const detected = await runOnBackboneInputs(model, input, output);
  // Independent expectation: the backbone's tfjs output times the 1³ conv.
  const expected = tf.tidy(() => {
    const f = network.apply(input.image, input.coord, false);
    const w = tf.transpose(tf.tensor2d(filter, [5, channels]));
    return tf.reshape(tf.matMul(tf.reshape(f, [-1, channels]), w), [
      1,
      2,
      2,
      2,
      5,
    ]);
  }) as tfTypes.Tensor5D;
  assert.deepEqual([...detected.dims], [1, 2, 2, 2, 5]);
  assert.ok(maxRelativeError(detected.data, expected.dataSync()) < 1e-5);
  await model.dispose();
  tf.dispose([expected, input.image, input.coord]);
  network.dispose();
  engine.dispose();
});

Deno.test("exportDetector() refuses a head whose stride differs from the backbone's", async () => {
  const engine = await createEngine("tfjs-cpu");
  const backbone = createToyBackbone();
  const network = backbone.build(engine, createRng(1));
  const head = { ...exportOnlyHead(new Float32Array(25), 5), stride: 8 };
  assert.throws(
    () => exportDetector(backbone, network, head, {} as HeadNetwork),
    {
      name: "RangeError",
      message:
        "Cannot export detector: head stride is 8, expected the backbone's output stride 4",
    },
  );
  network.dispose();
  engine.dispose();
});
