import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import {
  createEngine,
  createRng,
  type NamedWeights,
  type OnnxAttribute,
  type OnnxGraphBuilder,
  ShapeError,
} from "../../core/mod.ts";
import {
  createRpn3dHead,
  HEAD_WEIGHT_NAMES,
  type Rpn3dSettings,
} from "./head.ts";

const engine = await createEngine("tfjs-cpu");
const tf = engine.tf;

const reference: Rpn3dSettings = {
  anchors: [10, 30, 60],
  stride: 4,
  hiddenChannels: 64,
  thPos: 0.5,
  thPosValidation: 1,
  thNeg: 0.02,
  numNeg: 800,
  nmsIou: 0.05,
  minLogit: -3,
};

Deno.test("countParameters() is in·h + h + h·5A + 5A", () => {
  const head = createRpn3dHead(reference);
  // 128·64 + 64 + 64·15 + 15 = 8192 + 64 + 960 + 15 (reference §2.1 head row)
  assert.equal(head.countParameters({ channels: 128, stride: 4 }), 9231);
  const small = createRpn3dHead({
    ...reference,
    anchors: [10],
    hiddenChannels: 4,
  });
  assert.equal(
    small.countParameters({ channels: 3, stride: 4 }),
    3 * 4 + 4 + 4 * 5 + 5,
  );
});

Deno.test("build() rejects features at another stride, naming the option", () => {
  const head = createRpn3dHead(reference);
  const message =
    'Cannot build anchor head "rpn3d": the feature stride is 8, expected 4 (option "stride")';
  assert.throws(() => head.countParameters({ channels: 128, stride: 8 }), {
    name: "RangeError",
    message,
  });
  assert.throws(
    () => head.build(engine, { channels: 128, stride: 8 }, createRng(0)),
    {
      name: "RangeError",
      message,
    },
  );
});

Deno.test("build() initialises like PyTorch: uniform in ±1/√fan_in", () => {
  const head = createRpn3dHead(reference);
  const network = head.build(
    engine,
    { channels: 128, stride: 4 },
    createRng(1),
  );
  const weights = network.getWeights();
  const bounds: Record<string, number> = {
    "head.hidden.filter": 1 / Math.sqrt(128),
    "head.hidden.bias": 1 / Math.sqrt(128),
    "head.output.filter": 1 / Math.sqrt(64),
    "head.output.bias": 1 / Math.sqrt(64),
  };
  assert.deepEqual([...weights.keys()], [...HEAD_WEIGHT_NAMES]);
  assert.deepEqual(weights.get("head.hidden.filter")!.shape, [
    1,
    1,
    1,
    128,
    64,
  ]);
  assert.deepEqual(weights.get("head.output.filter")!.shape, [1, 1, 1, 64, 15]);
  for (const [name, { data }] of weights) {
    const bound = bounds[name];
    assert.ok(
      data.every((v) => Math.abs(v) <= bound),
      `${name} outside ±${bound}`,
    );
  }
  // 8192 draws of U(−b, b): standard deviation b/√3.
  const filter = weights.get("head.hidden.filter")!.data;
  const sd = Math.sqrt(filter.reduce((s, v) => s + v * v, 0) / filter.length);
  assert.ok(
    Math.abs(sd - bounds["head.hidden.filter"] / Math.sqrt(3)) < 0.002,
    `sd ${sd}`,
  );
  network.dispose();
});

/** Weights of a 2 → 2 → 5 head (one anchor) with hand-picked values. */
function handWeights(): NamedWeights {
  return new Map([
    // hidden[o] = relu(Σ_i x[i] · W[i][o] + b[o]); W is [in][out] (tfjs layout)
    ["head.hidden.filter", {
      shape: [1, 1, 1, 2, 2],
      data: Float32Array.of(1, -1, 2, 1),
    }],
    ["head.hidden.bias", { shape: [2], data: Float32Array.of(0, 0.5) }],
    [
      "head.output.filter",
      {
        shape: [1, 1, 1, 2, 5],
        data: Float32Array.of(1, 0, 0, 0, 2, 0, 1, 0, -1, 0),
      },
    ],
    ["head.output.bias", {
      shape: [5],
      data: Float32Array.of(0, 0, 0.25, 0, 0),
    }],
  ]);
}

Deno.test("apply() computes conv 1³ → ReLU → conv 1³ per cell", () => {
  const head = createRpn3dHead({
    ...reference,
    anchors: [10],
    hiddenChannels: 2,
  });
  const network = head.build(engine, { channels: 2, stride: 4 }, createRng(0));
  network.setWeights(handWeights());
  // Two cells: x = (1, 2) and (−3, 1).
  // Cell 0: pre = (1·1 + 2·2 + 0, 1·(−1) + 2·1 + 0.5) = (5, 1.5) → h = (5, 1.5)
  //   out = (5·1, 1.5·1, 0.25, −1.5, 5·2) = (5, 1.5, 0.25, −1.5, 10)
  // Cell 1: pre = (−3 + 2, 3 + 1 + 0.5) = (−1, 4.5) → h = (0, 4.5)
  //   out = (0, 4.5, 0.25, −4.5, 0)
  const x = tf.tensor5d([1, 2, -3, 1], [1, 1, 1, 2, 2]);
  const out = network.apply(x, true);
  assert.deepEqual(out.shape, [1, 1, 1, 2, 5]);
  assert.deepEqual([...out.dataSync()], [
    5,
    1.5,
    0.25,
    -1.5,
    10,
    0,
    4.5,
    0.25,
    -4.5,
    0,
  ]);
  tf.dispose([x, out]);
  network.dispose();
});

Deno.test("apply() with hidden_slope uses a leaky ReLU on the hidden layer", () => {
  const head = createRpn3dHead({
    ...reference,
    anchors: [10],
    hiddenChannels: 2,
    hiddenSlope: 0.1,
  });
  const network = head.build(engine, { channels: 2, stride: 4 }, createRng(0));
  network.setWeights(handWeights());
  // As the ReLU case, except cell 1's hidden pre-activation −1 becomes −0.1:
  //   out = (−0.1, 4.5, 0.25, −4.5, −0.2)
  const x = tf.tensor5d([1, 2, -3, 1], [1, 1, 1, 2, 2]);
  const out = network.apply(x, true);
  const expected = [5, 1.5, 0.25, -1.5, 10, -0.1, 4.5, 0.25, -4.5, -0.2];
  const got = [...out.dataSync()];
  got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${i}`));
  tf.dispose([x, out]);
  network.dispose();
});

Deno.test("build() with prior sets every logit bias to −ln((1−p)/p) and leaves the rest", () => {
  const plain = createRpn3dHead(reference).build(
    engine,
    { channels: 8, stride: 4 },
    createRng(4),
  );
  const withPrior = createRpn3dHead({ ...reference, prior: 0.01 }).build(
    engine,
    { channels: 8, stride: 4 },
    createRng(4),
  );
  const a = plain.getWeights().get("head.output.bias")!.data;
  const b = withPrior.getWeights().get("head.output.bias")!.data;
  assert.equal(b.length, 15);
  for (let c = 0; c < 15; c++) {
    if (c % 5 === 0) {
      // σ(bias) = 0.01
      assert.ok(Math.abs(1 / (1 + Math.exp(-b[c])) - 0.01) < 1e-6, `${c}`);
    } else {
      assert.equal(b[c], a[c]);
    }
  }
  assert.deepEqual(
    withPrior.getWeights().get("head.hidden.filter"),
    plain.getWeights().get("head.hidden.filter"),
  );
  plain.dispose();
  withPrior.dispose();
});

Deno.test("setWeights() names a missing or misshapen weight and changes nothing", () => {
  const head = createRpn3dHead({
    ...reference,
    anchors: [10],
    hiddenChannels: 2,
  });
  const network = head.build(engine, { channels: 2, stride: 4 }, createRng(0));
  const before = network.getWeights();
  const missing = handWeights();
  missing.delete("head.output.bias");
  assert.throws(() => network.setWeights(missing), {
    name: "RangeError",
    message:
      'Cannot load anchor head weights: "head.output.bias" is missing, expected "head.hidden.filter", "head.hidden.bias", "head.output.filter", "head.output.bias"',
  });
  const wrong = handWeights();
  wrong.set("head.output.filter", {
    shape: [1, 1, 1, 2, 4],
    data: new Float32Array(8),
  });
  assert.throws(
    () => network.setWeights(wrong),
    (error: unknown) =>
      error instanceof ShapeError &&
      error.message ===
        'Cannot use anchor head weight "head.output.filter": shape is [1, 1, 1, 2, 4], expected [1, 1, 1, 2, 5]',
  );
  assert.deepEqual(network.getWeights(), before);
  network.dispose();
});

Deno.test("exportOnnx() appends Transpose, Conv, Relu, Conv, Transpose with ONNX-layout weights", () => {
  const head = createRpn3dHead({
    ...reference,
    anchors: [10],
    hiddenChannels: 2,
  });
  const network = head.build(engine, { channels: 2, stride: 4 }, createRng(0));
  network.setWeights(handWeights());
  const nodes: {
    op: string;
    inputs: readonly string[];
    attributes?: Record<string, OnnxAttribute>;
  }[] = [];
  const initializers = new Map<
    string,
    { shape: readonly number[]; data: Float32Array }
  >();
  let counter = 0;
  const graph: OnnxGraphBuilder = {
    initializer(name, shape, data) {
      initializers.set(name, { shape, data });
      return name;
    },
    int64Initializer: (name) => name,
    node(op, inputs, attributes) {
      nodes.push({ op, inputs, attributes });
      return [`v${counter++}`];
    },
  };
  const output = head.exportOnnx(network, graph, "features");
  assert.deepEqual(nodes.map((n) => n.op), [
    "Transpose",
    "Conv",
    "Relu",
    "Conv",
    "Transpose",
  ]);
  assert.deepEqual(nodes[0].attributes, { perm: [0, 4, 1, 2, 3] });
  assert.deepEqual(nodes[4].attributes, { perm: [0, 2, 3, 4, 1] });
  assert.equal(output, "v4");
  // ONNX Conv weights are [out, in, 1, 1, 1]: the tfjs [in][out] matrix transposed.
  const w1 = initializers.get(nodes[1].inputs[1])!;
  assert.deepEqual(w1.shape, [2, 2, 1, 1, 1]);
  assert.deepEqual([...w1.data], [1, 2, -1, 1]);
  const w2 = initializers.get(nodes[3].inputs[1])!;
  assert.deepEqual(w2.shape, [5, 2, 1, 1, 1]);
  assert.deepEqual([...w2.data], [1, 0, 0, 1, 0, 0, 0, -1, 2, 0]);
  assert.deepEqual([...initializers.get(nodes[3].inputs[2])!.data], [
    0,
    0,
    0.25,
    0,
    0,
  ]);
  network.dispose();
});

Deno.test("exportOnnx() writes LeakyRelu with the slope as alpha when hidden_slope > 0", () => {
  const head = createRpn3dHead({
    ...reference,
    anchors: [10],
    hiddenChannels: 2,
    hiddenSlope: 0.25,
  });
  const network = head.build(engine, { channels: 2, stride: 4 }, createRng(0));
  const nodes: { op: string; attributes?: Record<string, OnnxAttribute> }[] =
    [];
  let counter = 0;
  const graph: OnnxGraphBuilder = {
    initializer: (name) => name,
    int64Initializer: (name) => name,
    node(op, _inputs, attributes) {
      nodes.push({ op, attributes });
      return [`v${counter++}`];
    },
  };
  head.exportOnnx(network, graph, "features");
  assert.deepEqual(nodes.map((n) => n.op), [
    "Transpose",
    "Conv",
    "LeakyRelu",
    "Conv",
    "Transpose",
  ]);
  assert.deepEqual(nodes[2].attributes, { alpha: 0.25 });
  network.dispose();
});

Deno.test("decode() and nms() default to the min_logit and nms_iou options", () => {
  const head = createRpn3dHead({
    ...reference,
    anchors: [10],
    minLogit: 1,
    nmsIou: 0.5,
  });
  // One cell, one anchor, logit 0.5: kept at −3, dropped at the option's 1.
  const out = Float32Array.of(0.5, 0, 0, 0, 0);
  assert.equal(head.decode(out, [1, 1, 1]).length, 0);
  assert.equal(head.decode(out, [1, 1, 1], -3).length, 1);
  // IoU 900/1100 = 0.82 ≥ 0.5 (option) → one kept; < 0.9 → both kept.
  const a = { voxel: [0, 0, 0] as const, diameter: 10, score: 2 };
  const b = { voxel: [1, 0, 0] as const, diameter: 10, score: 1 };
  assert.deepEqual(head.nms([a, b]), [a]);
  assert.deepEqual(head.nms([a, b], 0.9), [a, b]);
});

Deno.test("the head trains: gradient steps lower a BCE on a fixed batch", () => {
  const head = createRpn3dHead({
    ...reference,
    anchors: [10],
    hiddenChannels: 4,
  });
  const network = head.build(engine, { channels: 3, stride: 4 }, createRng(2));
  const rng = createRng(3);
  const x = tf.tensor5d(
    Float32Array.from({ length: 2 * 8 * 3 }, () => rng.normal()),
    [2, 2, 2, 2, 3],
  );
  // Label: cell positive when its first feature is > 0.
  const labels = tf.tensor1d(
    Float32Array.from(
      { length: 16 },
      (_, i) => x.dataSync()[i * 3] > 0 ? 1 : 0,
    ),
  );
  const lossOf = () =>
    tf.tidy(() => {
      const logits = tf.reshape(
        tf.slice(tf.reshape(network.apply(x, true), [16, 5]), [0, 0], [16, 1]),
        [16],
      );
      // BCE from logits: softplus(x) − y·x
      return tf.mean(
        tf.sub(tf.softplus(logits), tf.mul(labels, logits)),
      ) as tfTypes.Scalar;
    });
  const first = lossOf().dataSync()[0];
  for (let step = 0; step < 30; step++) {
    const { value, grads } = tf.variableGrads(
      lossOf,
      network.trainable as tfTypes.Variable[],
    );
    for (const v of network.trainable) {
      const g = grads[v.name];
      const updated = tf.sub(v, tf.mul(0.5, g));
      v.assign(updated);
      tf.dispose([updated, g]);
    }
    value.dispose();
  }
  const last = lossOf().dataSync()[0];
  assert.ok(last < 0.7 * first, `loss ${first} → ${last}`);
  tf.dispose([x, labels]);
  network.dispose();
});
