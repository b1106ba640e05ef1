import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { createRng } from "../../random.ts";
import { loadTf, tf } from "../_tf.ts";
import { compareOps, type ParityCase } from "../_parity.ts";
import { createPlainOps } from "../plain_ops.ts";
import { createCpuOps } from "./ops.ts";
import { createScratch, createSessionCache } from "./sessions.ts";

await loadTf();
await tf.setBackend("cpu");
const plain = createPlainOps(tf);
const sessions = createSessionCache({ threads: 1 });
const fast = createCpuOps(tf, sessions);
const TOLERANCE = 1e-4;

async function check(c: ParityCase, seed: number): Promise<void> {
  const { worst, where, errors } = await compareOps(tf, plain, fast, c, seed);
  assert.ok(
    worst <= TOLERANCE,
    `${JSON.stringify(c)}: ${where} differs by ${worst.toExponential(2)} ${
      JSON.stringify(errors)
    }`,
  );
}

Deno.test("createCpuOps() conv3d equals tfjs (output, input, filter and bias gradients) on random shapes", async () => {
  const rng = createRng(2024);
  const cases: ParityCase[] = [
    // The concat-with-coords width of the reference net.
    {
      kind: "conv3d",
      input: [1, 4, 4, 4, 131],
      cout: 8,
      k: 3,
      stride: 1,
      padding: "same",
      bias: true,
    },
    {
      kind: "conv3d",
      input: [2, 5, 3, 7, 3],
      cout: 4,
      k: 1,
      stride: 1,
      padding: "same",
      bias: true,
    },
    {
      kind: "conv3d",
      input: [1, 7, 5, 6, 2],
      cout: 3,
      k: 3,
      stride: 2,
      padding: "same",
      bias: true,
    },
    {
      kind: "conv3d",
      input: [2, 7, 6, 5, 2],
      cout: 3,
      k: 3,
      stride: 2,
      padding: "valid",
      bias: false,
    },
    {
      kind: "conv3d",
      input: [1, 5, 5, 5, 3],
      cout: 2,
      k: 1,
      stride: 2,
      padding: "valid",
      bias: true,
    },
  ];
  for (let i = 0; i < 6; i++) {
    const size = () => 3 + rng.int(5);
    cases.push({
      kind: "conv3d",
      input: [1 + rng.int(2), size(), size(), size(), 1 + rng.int(12)],
      cout: 1 + rng.int(10),
      k: rng.next() < 0.7 ? 3 : 1,
      stride: 1,
      padding: rng.next() < 0.6 ? "same" : "valid",
      bias: rng.next() < 0.7,
    });
  }
  for (const [i, c] of cases.entries()) await check(c, 100 + i);
});

Deno.test("createCpuOps() weight gradients are exact in both row layouts, whole and split into many depth chunks", async () => {
  // A 4 KiB chunk bound forces one output plane per ORT call; the fill limit
  // picks window rows (Infinity) or voxel rows (0) for every conv.
  const variants = [Infinity, 0].flatMap((windowFillLimit) => [
    createCpuOps(tf, sessions, createScratch(4096), { windowFillLimit }),
    createCpuOps(tf, sessions, createScratch(), { windowFillLimit }),
  ]);
  const cases: ParityCase[] = [
    {
      kind: "conv3d",
      input: [2, 5, 4, 3, 3],
      cout: 4,
      k: 3,
      stride: 1,
      padding: "same",
      bias: true,
    },
    {
      kind: "conv3d",
      input: [2, 6, 5, 4, 2],
      cout: 3,
      k: 3,
      stride: 1,
      padding: "valid",
      bias: true,
    },
    {
      kind: "conv3d",
      input: [2, 4, 6, 5, 9],
      cout: 2,
      k: 3,
      stride: 1,
      padding: "same",
      bias: false,
    },
  ];
  for (const [v, ops] of variants.entries()) {
    for (const [i, c] of cases.entries()) {
      const { worst, where } = await compareOps(tf, plain, ops, c, 50 + i);
      assert.ok(
        worst <= TOLERANCE,
        `variant ${v}, ${JSON.stringify(c)}: ${where} differs by ${worst}`,
      );
    }
  }
});

Deno.test("createCpuOps() conv3dTranspose (kernel 2, stride 2) equals tfjs", async () => {
  await check({
    kind: "conv3dTranspose",
    input: [1, 3, 2, 3, 5],
    cout: 4,
    k: 2,
    stride: 2,
    padding: "valid",
    bias: true,
  }, 1);
  await check({
    kind: "conv3dTranspose",
    input: [2, 2, 3, 1, 3],
    cout: 6,
    k: 2,
    stride: 2,
    padding: "valid",
    bias: false,
  }, 2);
});

Deno.test("createCpuOps() fused convBn equals conv → batch norm → (+ residual) → ReLU in training and inference", async () => {
  const base = {
    kind: "convBn",
    cout: 5,
    k: 3,
    stride: 1,
    padding: "same",
  } as const;
  const cases: ParityCase[] = [
    {
      ...base,
      input: [2, 3, 5, 4, 3],
      bias: true,
      affine: true,
      training: true,
      relu: true,
      residual: true,
    },
    {
      ...base,
      input: [1, 5, 3, 3, 4],
      bias: false,
      affine: true,
      training: true,
      relu: true,
      residual: false,
    },
    {
      ...base,
      input: [1, 3, 3, 5, 2],
      bias: true,
      affine: false,
      training: true,
      relu: false,
      residual: true,
    },
    {
      ...base,
      input: [2, 3, 3, 3, 6],
      bias: true,
      affine: true,
      training: false,
      relu: true,
      residual: true,
    },
    {
      ...base,
      input: [1, 4, 4, 4, 131],
      cout: 7,
      k: 1,
      bias: true,
      affine: true,
      training: true,
      relu: false,
      residual: false,
    },
  ];
  for (const [i, c] of cases.entries()) await check(c, 200 + i);
});

Deno.test("createCpuOps() convBn without inputGradient skips only the input gradient", () => {
  const rng = createRng(31);
  const random = (shape: number[], scale: number) =>
    tf.tensor(
      Float32Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => (rng.next() * 2 - 1) * scale,
      ),
      shape,
    );
  const x = random([2, 5, 4, 6, 1], 1) as tfTypes.Tensor5D;
  const filter = tf.variable(random([3, 3, 3, 1, 4], 0.3)) as tfTypes.Variable<
    tfTypes.Rank.R5
  >;
  const bias = tf.variable(random([4], 0.1)) as tfTypes.Variable<
    tfTypes.Rank.R1
  >;
  const gamma = tf.variable(random([4], 1)) as tfTypes.Variable<
    tfTypes.Rank.R1
  >;
  const beta = tf.variable(random([4], 0.1)) as tfTypes.Variable<
    tfTypes.Rank.R1
  >;
  const bn = {
    gamma,
    beta,
    movingMean: tf.variable(tf.zeros([4])) as tfTypes.Variable<tfTypes.Rank.R1>,
    movingVariance: tf.variable(tf.ones([4])) as tfTypes.Variable<
      tfTypes.Rank.R1
    >,
    momentum: 0.1,
    epsilon: 1e-5,
  };
  const conv = { filter, bias, strides: 1, padding: "same" as const };
  const gradients = (inputGradient: boolean) =>
    tf.grads((xi: tfTypes.Tensor, f: tfTypes.Tensor, b: tfTypes.Tensor) =>
      tf.sum(
        tf.square(
          fast.convBn(
            xi as tfTypes.Tensor5D,
            {
              ...conv,
              filter: f as tfTypes.Variable<tfTypes.Rank.R5>,
              bias: b as tfTypes.Variable<tfTypes.Rank.R1>,
            },
            bn,
            { training: true, relu: true, inputGradient },
          ),
        ),
      )
    )([x, filter, bias]).map((g) => g.dataSync() as Float32Array);
  const [dxOn, dwOn, dbOn] = gradients(true);
  const [dxOff, dwOff, dbOff] = gradients(false);
  assert.ok(
    dxOn.some((v) => v !== 0),
    "the input gradient is computed by default",
  );
  assert.ok(dxOff.every((v) => v === 0), "no input gradient when not asked");
  assert.deepEqual(dwOff, dwOn);
  assert.deepEqual(dbOff, dbOn);
  tf.dispose([x, filter, bias, gamma, beta, bn.movingMean, bn.movingVariance]);
});

Deno.test("createCpuOps() batchNorm equals tfjs in training (with running-stat updates) and inference", async () => {
  await check({
    kind: "batchNorm",
    input: [2, 3, 4, 5, 6],
    affine: true,
    training: true,
  }, 1);
  await check({
    kind: "batchNorm",
    input: [1, 3, 3, 3, 4],
    affine: false,
    training: true,
  }, 2);
  await check({
    kind: "batchNorm",
    input: [1, 5, 3, 3, 3],
    affine: true,
    training: false,
  }, 3);
});

Deno.test("createCpuOps() relu, add, maxPool3d, concatChannels and dropout equal tfjs", async () => {
  await check({ kind: "relu", input: [2, 3, 4, 5, 3] }, 1);
  await check({ kind: "add", input: [1, 3, 3, 3, 7] }, 2);
  await check({ kind: "maxPool3d", input: [2, 4, 6, 4, 3] }, 3);
  await check({ kind: "maxPool3d", input: [1, 5, 5, 7, 2] }, 4);
  await check(
    { kind: "concatChannels", input: [1, 2, 3, 2, 64], channels: [64, 3] },
    5,
  );
  await check({
    kind: "dropout",
    input: [2, 3, 3, 3, 8],
    rate: 0.5,
    channelwise: true,
  }, 6);
  await check({
    kind: "dropout",
    input: [1, 3, 3, 3, 4],
    rate: 0.2,
    channelwise: false,
  }, 7);
});

Deno.test("createCpuOps() leaks no tensors over repeated forward and backward passes", async () => {
  const run = async () => {
    const c: ParityCase = {
      kind: "convBn",
      input: [1, 4, 4, 4, 3],
      cout: 4,
      k: 3,
      stride: 1,
      padding: "same",
      bias: true,
      affine: true,
      training: true,
      relu: true,
      residual: true,
    };
    await compareOps(tf, fast, fast, c, 9);
    await compareOps(
      tf,
      fast,
      fast,
      { kind: "maxPool3d", input: [1, 4, 4, 4, 2] },
      9,
    );
    await compareOps(tf, fast, fast, {
      kind: "concatChannels",
      input: [1, 2, 2, 2, 2],
      channels: [1],
    }, 9);
    await compareOps(tf, fast, fast, {
      kind: "conv3dTranspose",
      input: [1, 2, 2, 2, 2],
      cout: 2,
      k: 2,
      stride: 2,
      padding: "valid",
      bias: true,
    }, 9);
  };
  await run();
  const before = tf.memory().numTensors;
  await run();
  await run();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("createCpuOps() rejects mismatched shapes with clear errors", () => {
  const x = tf.zeros([1, 4, 4, 4, 3]) as tfTypes.Tensor5D;
  const conv = {
    filter: tf.variable(tf.zeros([3, 3, 3, 2, 4])) as tfTypes.Variable<
      tfTypes.Rank.R5
    >,
    bias: null,
    strides: 1,
    padding: "same" as const,
  };
  assert.throws(
    () => fast.conv3d(x, conv),
    /Cannot use conv3d input \(channels must match the filter\): shape is \[1, 4, 4, 4, 3\], expected \[\*, \*, \*, \*, 2\]/,
  );
  const y = tf.zeros([1, 4, 4, 4, 2]) as tfTypes.Tensor5D;
  assert.throws(
    () => fast.add(x, y),
    /Cannot use add input: shape is \[1, 4, 4, 4, 2\], expected \[1, 4, 4, 4, 3\]/,
  );
  tf.dispose([x, y, conv.filter]);
});

globalThis.addEventListener("unload", () => sessions.dispose());
