import assert from "node:assert/strict";
import { createOnnxModelBuilder } from "./builder.ts";
import { createOnnxModel } from "./inference.ts";

/** y = relu(x · 2 − 1), z = x + 1: two outputs from one input. */
function smallModel(): Uint8Array {
  const g = createOnnxModelBuilder();
  const x = g.input("x", ["n", 3]);
  const two = g.initializer("two", [1], new Float32Array([2]));
  const one = g.initializer("one", [1], new Float32Array([1]));
  const [scaled] = g.node("Mul", [x, two]);
  const [shifted] = g.node("Sub", [scaled, one]);
  const [y] = g.node("Relu", [shifted]);
  const [z] = g.node("Add", [x, one]);
  g.output(y, ["n", 3]);
  g.output(z, ["n", 3]);
  return g.toBytes();
}

Deno.test("createOnnxModel() runs a model and returns every output with its dims", async () => {
  const model = await createOnnxModel(smallModel(), { threads: 1 });
  assert.deepEqual(model.inputNames, ["x"]);
  assert.equal(model.outputNames.length, 2);
  assert.equal(model.threads, 1);
  const x = new Float32Array([-1, 0, 0.5, 1, 2, 3]);
  const out = await model.run({ x: { data: x, dims: [2, 3] } });
  const [y, z] = model.outputNames.map((name) => out[name]);
  assert.deepEqual([...y.dims], [2, 3]);
  assert.deepEqual([...y.data], [0, 0, 0, 1, 3, 5]);
  assert.deepEqual([...z.data], [0, 1, 1.5, 2, 3, 4]);
  await model.dispose();
  await assert.rejects(() => model.run({ x: { data: x, dims: [2, 3] } }), {
    message: "Cannot run ONNX model: it was disposed, expected a live model",
  });
});

Deno.test("createOnnxModel() uses every core by default", async () => {
  const model = await createOnnxModel(smallModel());
  assert.equal(model.threads, navigator.hardwareConcurrency);
  await model.dispose();
});

Deno.test("createOnnxModel() rejects bad threads, bytes, feeds and sizes with clear messages", async () => {
  await assert.rejects(() => createOnnxModel(smallModel(), { threads: 0 }), {
    name: "RangeError",
    message: "Cannot create ONNX model: threads is 0, expected an integer >= 1",
  });
  await assert.rejects(
    () => createOnnxModel(new Uint8Array([1, 2, 3])),
    (e: Error) =>
      e instanceof TypeError &&
      e.message.startsWith("Cannot load ONNX model (3 bytes): "),
  );
  const model = await createOnnxModel(smallModel(), { threads: 1 });
  await assert.rejects(
    () => model.run({ y: { data: new Float32Array(3), dims: [1, 3] } }),
    {
      name: "RangeError",
      message: 'Cannot run ONNX model: feeds are "y", expected exactly "x"',
    },
  );
  await assert.rejects(
    () => model.run({ x: { data: new Float32Array(4), dims: [1, 3] } }),
    {
      message:
        'Cannot run ONNX model: input "x" has 4 values, expected 3 for dims [1, 3]',
    },
  );
  await assert.rejects(
    () => model.run({ x: { data: new Float32Array(4), dims: [1, 4] } }),
    (e: Error) =>
      e instanceof TypeError && e.message.startsWith("Cannot run ONNX model: "),
  );
  await model.dispose();
});
