import assert from "node:assert/strict";
import { tf } from "./_tf.ts";
import { compareResults, type ParityCase, runCase } from "./_parity.ts";
import { createPlainOps } from "./plain_ops.ts";
import { createWebGpuEngine } from "./webgpu.ts";
import { createTfjsCpuEngine } from "./tfjs_cpu.ts";

const adapter = await navigator.gpu?.requestAdapter();
const skip = adapter === null || adapter === undefined;
if (skip) {
  // deno-lint-ignore no-console -- the one-line skip reason
  console.log("webgpu_test: skipped, navigator.gpu has no adapter here");
}

const CASES: ParityCase[] = [
  {
    kind: "conv3d",
    input: [1, 3, 4, 3, 2],
    cout: 3,
    k: 3,
    stride: 1,
    padding: "same",
    bias: true,
  },
  {
    kind: "conv3d",
    input: [2, 5, 3, 3, 3],
    cout: 2,
    k: 3,
    stride: 2,
    padding: "valid",
    bias: false,
  },
  {
    kind: "conv3dTranspose",
    input: [1, 2, 2, 2, 3],
    cout: 2,
    k: 2,
    stride: 2,
    padding: "valid",
    bias: true,
  },
  {
    kind: "convBn",
    input: [1, 3, 3, 3, 2],
    cout: 3,
    k: 3,
    stride: 1,
    padding: "same",
    bias: true,
    affine: true,
    training: true,
    relu: true,
    residual: true,
  },
  { kind: "batchNorm", input: [2, 2, 3, 2, 3], affine: true, training: false },
  { kind: "maxPool3d", input: [1, 4, 4, 4, 2] },
  { kind: "concatChannels", input: [1, 2, 2, 2, 2], channels: [3] },
  { kind: "dropout", input: [1, 2, 2, 2, 4], rate: 0.5, channelwise: true },
];

Deno.test({
  name:
    "createWebGpuEngine() plain ops on WebGPU equal the cpu backend (outputs and gradients)",
  ignore: skip,
  fn: async () => {
    const cpu = await createTfjsCpuEngine();
    const expected = [];
    for (const [i, c] of CASES.entries()) {
      expected.push(await runCase(cpu.tf, cpu.ops, c, 300 + i));
    }
    const engine = await createWebGpuEngine();
    try {
      assert.equal(engine.tf.getBackend(), "webgpu");
      assert.match(engine.description, /webgpu backend on /);
      const ops = createPlainOps(tf);
      for (const [i, c] of CASES.entries()) {
        const actual = await runCase(engine.tf, ops, c, 300 + i);
        const { worst, where } = compareResults(c, expected[i], actual);
        assert.ok(worst <= 1e-4, `${c.kind} ${where}: relative error ${worst}`);
      }
      await runCase(engine.tf, ops, CASES[3], 1);
      const before = tf.memory().numTensors;
      await runCase(engine.tf, ops, CASES[3], 1);
      assert.equal(tf.memory().numTensors, before);
    } finally {
      await tf.setBackend("cpu");
    }
  },
});
