import assert from "node:assert/strict";
import { createOnnxModelBuilder } from "./builder.ts";
import { createOrtSession, ortTensor } from "../engine/cpu/ort_binding.ts";

Deno.test("createOnnxModelBuilder() builds a Conv graph that ORT runs with hand-computed results", () => {
  const g = createOnnxModelBuilder();
  const x = g.input("x", ["batch", 1, 3, 3, 3]);
  // A 3×3×3 sum kernel with bias 1: the centre output (pads 1) sums all 27 inputs.
  const w = g.initializer("w", [1, 1, 3, 3, 3], new Float32Array(27).fill(1));
  const b = g.initializer("b", [1], new Float32Array([1]));
  const [y] = g.node("Conv", [x, w, b], {
    kernel_shape: [3, 3, 3],
    pads: [1, 1, 1, 1, 1, 1],
    strides: [1, 1, 1],
  });
  g.output(y, ["batch", 1, 3, 3, 3]);
  const session = createOrtSession(g.toBytes(), { threads: 1 });
  const data = Float32Array.from({ length: 27 }, (_, i) => i);
  const out = session.run({ x: ortTensor(data, [1, 1, 3, 3, 3]) })[y];
  session.dispose();
  assert.deepEqual(out.dims, [1, 1, 3, 3, 3]);
  assert.equal(out.data[13], 351 + 1); // 0 + 1 + … + 26 = 351
  // Corner (0,0,0): inputs at z,y,x ∈ {0,1}: 0+1+3+4+9+10+12+13 = 52.
  assert.equal(out.data[0], 52 + 1);
});

Deno.test("createOnnxModelBuilder() writes float attributes, int64 initializers and symbolic dims", () => {
  const g = createOnnxModelBuilder({ opset: 17, metadata: { who: "test" } });
  const a = g.input("a", ["n", 4]);
  const bm = g.input("b", [4, 2]);
  // alpha is written as a whole number but must be a FLOAT attribute.
  const [y] = g.node("Gemm", [a, bm], { alpha: 2, transA: 0 });
  const shape = g.int64Initializer("shape", [2], [-1, 1]);
  const [z] = g.node("Reshape", [y, shape]);
  const [m] = g.node("ReduceMax", [z], { keepdims: 0, axes: [0] });
  g.output(y, ["n", 2]);
  g.output(z, [null, 1]);
  g.output(m);
  const session = createOrtSession(g.toBytes(), { threads: 1 });
  assert.deepEqual(session.inputNames, ["a", "b"]);
  const result = session.run({
    a: ortTensor(new Float32Array([1, 2, 3, 4, 0, 0, 0, 1]), [2, 4]),
    b: ortTensor(new Float32Array([1, 0, 0, 1, 1, 1, 2, 0]), [4, 2]),
  });
  session.dispose();
  // a·b = [[1+3+8, 2+3], [2, 0]] times alpha 2.
  assert.deepEqual([...result[y].data], [24, 10, 4, 0]);
  assert.deepEqual(result[z].dims, [4, 1]);
  assert.deepEqual([...result[m].data], [24]);
});

Deno.test("createOnnxModelBuilder() makes names unique and rejects unknown inputs", () => {
  const g = createOnnxModelBuilder();
  const a = g.initializer("w", [1], new Float32Array([1]));
  const b = g.initializer("w", [1], new Float32Array([2]));
  assert.notEqual(a, b);
  const [s1] = g.node("Add", [a, b]);
  const [s2] = g.node("Add", [s1, b]);
  assert.notEqual(s1, s2);
  assert.equal(g.nodeCount, 2);
  assert.throws(
    () => g.node("Add", [a, "nope"]),
    /input "nope" is not a value of this graph/,
  );
  assert.throws(
    () => g.initializer("bad", [2, 2], new Float32Array(3)),
    /Cannot use ONNX initializer "bad" \(3 values\): shape is \[2, 2\]/,
  );
  assert.throws(() => g.input("w", [1]), /name "w" is already used/);
  assert.throws(() => createOnnxModelBuilder().toBytes(), /it has no outputs/);
  assert.throws(
    () => createOnnxModelBuilder({ opset: 9 }),
    /opset is "9", expected an integer >= 13/,
  );
});

Deno.test("createOnnxModelBuilder() nodes with several outputs get one name each", () => {
  const g = createOnnxModelBuilder();
  const x = g.input("x", [6]);
  const split = g.int64Initializer("split", [2], [2, 4]);
  const [p, q] = g.node("Split", [x, split], { axis: 0 }, 2);
  g.output(p, [2]);
  g.output(q, [4]);
  const session = createOrtSession(g.toBytes(), { threads: 1 });
  const r = session.run({
    x: ortTensor(new Float32Array([1, 2, 3, 4, 5, 6]), [6]),
  });
  session.dispose();
  assert.deepEqual([...r[p].data], [1, 2]);
  assert.deepEqual([...r[q].data], [3, 4, 5, 6]);
});
