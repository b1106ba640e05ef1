import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { loadTf, tf } from "./_tf.ts";
import { createPlainOps } from "./plain_ops.ts";
import type { BatchNormParams, ConvParams } from "./engine.ts";

await loadTf();
await tf.setBackend("cpu");
const ops = createPlainOps(tf);

function bnParams(c: number, gamma: number[], beta: number[]): BatchNormParams {
  return {
    gamma: tf.variable(tf.tensor1d(gamma)),
    beta: tf.variable(tf.tensor1d(beta)),
    movingMean: tf.variable(tf.zeros([c]), false),
    movingVariance: tf.variable(tf.ones([c]), false),
    momentum: 0.1,
    epsilon: 1e-5,
  };
}

function disposeBn(bn: BatchNormParams): void {
  tf.dispose([bn.gamma!, bn.beta!, bn.movingMean, bn.movingVariance]);
}

Deno.test("createPlainOps() batchNorm in training uses batch statistics and updates the running ones PyTorch's way", () => {
  // Channel 0 holds 1..8, channel 1 holds 2·(1..8): mean 4.5 / 9, biased var 5.25 / 21.
  const values: number[] = [];
  for (let i = 1; i <= 8; i++) values.push(i, 2 * i);
  const x = tf.tensor5d(values, [2, 1, 2, 2, 2]);
  const bn = bnParams(2, [2, 1], [0, 1]);
  const y = ops.batchNorm(x, bn, true);
  const out = y.dataSync();
  const expect0 = (v: number) => 2 * (v - 4.5) / Math.sqrt(5.25 + 1e-5);
  const expect1 = (v: number) => (v - 9) / Math.sqrt(21 + 1e-5) + 1;
  for (let i = 0; i < 8; i++) {
    assert.ok(Math.abs(out[2 * i] - expect0(i + 1)) < 1e-5);
    assert.ok(Math.abs(out[2 * i + 1] - expect1(2 * (i + 1))) < 1e-5);
  }
  const mean = bn.movingMean.dataSync();
  const variance = bn.movingVariance.dataSync();
  assert.ok(Math.abs(mean[0] - 0.45) < 1e-6 && Math.abs(mean[1] - 0.9) < 1e-6);
  // Unbiased: 5.25·8/7 = 6, 21·8/7 = 24.
  assert.ok(Math.abs(variance[0] - (0.9 + 0.1 * 6)) < 1e-5);
  assert.ok(Math.abs(variance[1] - (0.9 + 0.1 * 24)) < 1e-5);
  // Inference uses the running statistics.
  const z = ops.batchNorm(x, bn, false).dataSync();
  assert.ok(
    Math.abs(z[0] - 2 * (1 - 0.45) / Math.sqrt(1.5 + 1e-5)) < 1e-5,
  );
  tf.dispose([x, y]);
  disposeBn(bn);
});

Deno.test("createPlainOps() batchNorm rejects one value per channel in training", () => {
  const x = tf.ones([1, 1, 1, 1, 2]) as tfTypes.Tensor5D;
  const bn = bnParams(2, [1, 1], [0, 0]);
  assert.throws(
    () => ops.batchNorm(x, bn, true),
    /Cannot run batchNorm in training: 1 value per channel in shape \[1, 1, 1, 1, 2\], expected more than 1/,
  );
  const wrong = bnParams(3, [1, 1, 1], [0, 0, 0]);
  assert.throws(
    () => ops.batchNorm(x, wrong, false),
    /Cannot use batchNorm gamma: shape is \[3\], expected \[2\]/,
  );
  tf.dispose(x);
  disposeBn(bn);
  disposeBn(wrong);
});

Deno.test("createPlainOps() conv3d with 'same' padding sums each 3³ neighbourhood", () => {
  const x = tf.tensor5d(
    Array.from({ length: 27 }, (_, i) => i),
    [1, 3, 3, 3, 1],
  );
  const conv: ConvParams = {
    filter: tf.variable(tf.ones([3, 3, 3, 1, 1])),
    bias: tf.variable(tf.tensor1d([0.5])),
    strides: 1,
    padding: "same",
  };
  const y = ops.conv3d(x, conv);
  const out = y.dataSync();
  assert.equal(out[13], 351.5);
  assert.equal(out[0], 52.5);
  const bad = tf.ones([1, 3, 3, 3, 2]) as tfTypes.Tensor5D;
  assert.throws(
    () => ops.conv3d(bad, conv),
    /Cannot use conv3d input \(channels must match the filter\): shape is \[1, 3, 3, 3, 2\], expected \[\*, \*, \*, \*, 1\]/,
  );
  tf.dispose([x, y, bad, conv.filter, conv.bias!]);
});

Deno.test("createPlainOps() conv3dTranspose with kernel 2, stride 2 copies each voxel into a 2³ block", () => {
  const x = tf.tensor5d([1, 2], [1, 1, 1, 2, 1]);
  const conv: ConvParams = {
    filter: tf.variable(tf.ones([2, 2, 2, 1, 1])),
    bias: null,
    strides: 2,
    padding: "valid",
  };
  const y = ops.conv3dTranspose(x, conv);
  assert.deepEqual(y.shape, [1, 2, 2, 4, 1]);
  assert.deepEqual([...y.dataSync()], [
    1,
    1,
    2,
    2,
    1,
    1,
    2,
    2,
    1,
    1,
    2,
    2,
    1,
    1,
    2,
    2,
  ]);
  tf.dispose([x, y, conv.filter]);
});

Deno.test("createPlainOps() channel-wise dropout zeroes whole channels per sample and is seeded", () => {
  const x = tf.ones([2, 2, 2, 2, 64]) as tfTypes.Tensor5D;
  const a = ops.dropout(x, 0.5, { training: true, channelwise: true, seed: 7 });
  const b = ops.dropout(x, 0.5, { training: true, channelwise: true, seed: 7 });
  const c = ops.dropout(x, 0.5, {
    training: true,
    channelwise: false,
    seed: 7,
  });
  const va = a.dataSync();
  assert.deepEqual([...va], [...b.dataSync()]);
  let dropped = 0;
  for (let n = 0; n < 2; n++) {
    for (let ch = 0; ch < 64; ch++) {
      const first = va[n * 512 + ch];
      assert.ok(first === 0 || first === 2);
      if (first === 0) dropped++;
      for (let v = 1; v < 8; v++) {
        assert.equal(va[n * 512 + v * 64 + ch], first);
      }
    }
  }
  assert.ok(dropped > 40 && dropped < 88, `dropped ${dropped} of 128`);
  // Element-wise: values differ inside a channel.
  const vc = c.dataSync();
  assert.ok(vc.some((v, i) => v !== vc[i % 64]));
  const id = ops.dropout(x, 0.5, {
    training: false,
    channelwise: true,
    seed: 7,
  });
  assert.deepEqual([...id.dataSync()], [...x.dataSync()]);
  assert.throws(
    () => ops.dropout(x, 1, { training: true, channelwise: true, seed: 1 }),
    /rate is "1", expected a number in \[0, 1\)/,
  );
  tf.dispose([x, a, b, c, id]);
});

Deno.test("createPlainOps() maxPool3d, concatChannels, add and relu agree with hand results and leak nothing", () => {
  const before = tf.memory().numTensors;
  const x = tf.tensor5d([1, -5, 3, 2, 0, 7, -1, 4], [1, 2, 2, 2, 1]);
  const p = ops.maxPool3d(x, 2);
  assert.deepEqual([...p.dataSync()], [7]);
  const r = ops.relu(x);
  assert.deepEqual([...r.dataSync()], [1, 0, 3, 2, 0, 7, 0, 4]);
  const s = ops.add(x, r);
  assert.equal(s.dataSync()[1], -5);
  const c = ops.concatChannels([x, r]);
  assert.deepEqual(c.shape, [1, 2, 2, 2, 2]);
  assert.deepEqual([...c.dataSync()].slice(0, 4), [1, 1, -5, 0]);
  assert.throws(() => ops.maxPool3d(x, 3), /spatial size below the window/);
  tf.dispose([x, p, r, s, c]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("createPlainOps() convBn gradients flow to the filter, gamma and beta without leaks", () => {
  const conv: ConvParams = {
    filter: tf.variable(tf.randomNormal([3, 3, 3, 2, 3], 0, 0.3, "float32", 1)),
    bias: tf.variable(tf.zeros([3])),
    strides: 1,
    padding: "same",
  };
  const bn = bnParams(3, [1, 1, 1], [0, 0, 0]);
  const x = tf.randomNormal(
    [2, 3, 3, 3, 2],
    0,
    1,
    "float32",
    2,
  ) as tfTypes.Tensor5D;
  const residual = tf.randomNormal(
    [2, 3, 3, 3, 3],
    0,
    1,
    "float32",
    3,
  ) as tfTypes.Tensor5D;
  const step = () => {
    const { value, grads } = tf.variableGrads(() =>
      tf.sum(
        tf.square(
          ops.convBn(x, conv, bn, { training: true, relu: true, residual }),
        ),
      ) as tfTypes.Scalar
    );
    const names = Object.keys(grads).length;
    tf.dispose([value, ...Object.values(grads)]);
    return names;
  };
  assert.equal(step(), 4); // filter, bias, gamma, beta
  const before = tf.memory().numTensors;
  step();
  step();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, residual, conv.filter, conv.bias!]);
  disposeBn(bn);
});
