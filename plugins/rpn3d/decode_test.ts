import assert from "node:assert/strict";
import {
  createRng,
  type Cube,
  cubeIou,
  type ScoredCube,
  ShapeError,
} from "../../core/mod.ts";
import { decodeBoxes, nmsCubes } from "./decode.ts";
import { mapLabels } from "./targets.ts";

Deno.test("decodeBoxes() maps offsets and log sizes to boxes above the threshold", () => {
  // Grid 1 × 1 × 2, anchors [10, 30], stride 4: cell centres (1.5, 1.5, 1.5)
  // and (1.5, 1.5, 5.5).
  const out = new Float32Array([
    // cell x = 0: anchor 10 (kept), anchor 30 (logit −3: not above −3)
    2,
    0.5,
    -0.25,
    0,
    Math.log(2),
    -3,
    0,
    0,
    0,
    0,
    // cell x = 1: anchor 10 (logit −5: dropped), anchor 30 (kept)
    -5,
    0,
    0,
    0,
    0,
    0.25,
    0.1,
    0,
    -0.2,
    0,
  ]);
  const boxes = decodeBoxes(out, [1, 1, 2], [10, 30], 4, -3);
  assert.equal(boxes.length, 2);
  // 1.5 + 0.5·10 = 6.5; 1.5 − 0.25·10 = −1; 1.5; 10·e^{ln 2} = 20
  assert.deepEqual(boxes[0].voxel, [6.5, -1, 1.5]);
  assert.ok(Math.abs(boxes[0].diameter - 20) < 1e-5);
  assert.equal(boxes[0].score, 2);
  // 1.5 + 0.1·30 = 4.5; 1.5; 5.5 − 0.2·30 = −0.5; 30
  boxes[1].voxel.forEach((v, i) =>
    assert.ok(Math.abs(v - [4.5, 1.5, -0.5][i]) < 1e-5)
  );
  assert.equal(boxes[1].diameter, 30);
  assert.equal(boxes[1].score, 0.25);
});

Deno.test("decodeBoxes() recovers the target from its own regression targets", () => {
  const settings = {
    anchors: [10, 30, 60],
    stride: 4,
    thNeg: 0.02,
    thPos: 0.5,
    thPosValidation: 1,
    numNeg: 800,
  };
  const rng = createRng(5);
  for (let trial = 0; trial < 30; trial++) {
    const target: Cube = {
      voxel: [rng.uniform(4, 28), rng.uniform(4, 28), rng.uniform(4, 28)],
      diameter: rng.uniform(3, 40),
    };
    const targets = mapLabels(
      { cropShape: [32, 32, 32], target, nodules: [target] },
      settings,
      trial % 2 === 0,
      rng,
    );
    // Output: logit 4 at the positive, −10 elsewhere; regression = targets.
    const out = targets.slice();
    for (let r = 0; r < out.length / 5; r++) {
      out[r * 5] = out[r * 5] === 1 ? 4 : -10;
    }
    const boxes = decodeBoxes(out, [8, 8, 8], settings.anchors, 4, -3);
    assert.equal(boxes.length, 1);
    target.voxel.forEach((v, i) =>
      assert.ok(Math.abs(boxes[0].voxel[i] - v) < 1e-4)
    );
    assert.ok(Math.abs(boxes[0].diameter - target.diameter) < 1e-4);
  }
});

Deno.test("decodeBoxes() rejects an output that does not match the grid", () => {
  assert.throws(
    () => decodeBoxes(new Float32Array(14), [1, 1, 2], [10, 30], 4, -3),
    (error: unknown) =>
      error instanceof ShapeError &&
      error.message ===
        "Cannot use head output (flattened [gz, gy, gx, anchors · 5]): shape is [14], expected [20]",
  );
});

// Hand-made set (IoU = I / (2000 − I) for two cubes of edge 10 offset along z):
// A (0, 0, 0) score 3; D (5, 0, 0) score 2.5: I = 500, IoU(A, D) = 1/3;
// B (1, 0, 0) score 2: IoU(A, B) = 900/1100 = 0.82, IoU(D, B) = 600/1400 = 0.43;
// C (20, 0, 0) score 1: overlaps nothing.
const a: ScoredCube = { voxel: [0, 0, 0], diameter: 10, score: 3 };
const b: ScoredCube = { voxel: [1, 0, 0], diameter: 10, score: 2 };
const c: ScoredCube = { voxel: [20, 0, 0], diameter: 10, score: 1 };
const d: ScoredCube = { voxel: [5, 0, 0], diameter: 10, score: 2.5 };

Deno.test("nmsCubes() keeps the hand-computed boxes for each threshold", () => {
  // 0.5: A kept; D (1/3 with A) kept; B (0.82 with A) dropped; C kept.
  assert.deepEqual(nmsCubes([c, b, d, a], 0.5), [a, d, c]);
  // 0.3: D (1/3 ≥ 0.3) dropped too.
  assert.deepEqual(nmsCubes([c, b, d, a], 0.3), [a, c]);
  // IoU equal to the threshold drops the box (≥).
  assert.deepEqual(nmsCubes([a, d], cubeIou(a, d)), [a]);
  // 0.9: nothing overlaps that much.
  assert.deepEqual(nmsCubes([c, b, d, a], 0.9), [a, d, b, c]);
  assert.deepEqual(nmsCubes([], 0.5), []);
});

Deno.test("nmsCubes() keeps the first of equal scores", () => {
  const twin = { ...b, score: 3 };
  assert.deepEqual(nmsCubes([twin, a], 0.5), [twin]);
  assert.deepEqual(nmsCubes([a, twin], 0.5), [a]);
});

Deno.test("nmsCubes() agrees with the quadratic greedy NMS on random boxes", () => {
  const rng = createRng(17);
  for (let trial = 0; trial < 25; trial++) {
    const boxes: ScoredCube[] = [];
    const n = 50 + trial * 20;
    for (let i = 0; i < n; i++) {
      boxes.push({
        voxel: [rng.uniform(0, 60), rng.uniform(-30, 30), rng.uniform(0, 200)],
        diameter: trial % 4 === 3
          ? Math.exp(rng.uniform(Math.log(0.5), Math.log(300)))
          : rng.uniform(2, trial % 5 === 0 ? 90 : 25),
        score: Math.round(rng.normal() * 8) / 4, // ties happen
      });
    }
    // A few exact duplicates (IoU 1).
    for (let i = 0; i < 5; i++) {
      boxes.push({ ...boxes[i], score: boxes[i].score - 1 });
    }
    const threshold = [0.05, 0.1, 0.3, 0.5, 0.7, 1, 1.5][trial % 7];
    const order = boxes.map((_, i) => i).sort((i, j) =>
      boxes[j].score - boxes[i].score || i - j
    );
    const expected: ScoredCube[] = [];
    for (const i of order) {
      if (expected.every((k) => cubeIou(boxes[i], k) < threshold)) {
        expected.push(boxes[i]);
      }
    }
    const kept = nmsCubes(boxes, threshold);
    assert.deepEqual(kept, expected);
    for (let i = 0; i < kept.length; i++) {
      for (let j = i + 1; j < kept.length; j++) {
        assert.ok(cubeIou(kept[i], kept[j]) < threshold);
      }
    }
  }
});

Deno.test("nmsCubes() rejects a threshold that is not > 0 and NaN scores", () => {
  assert.throws(() => nmsCubes([a], 0), {
    name: "RangeError",
    message: "Cannot run NMS: IoU threshold is 0, expected a number > 0",
  });
  assert.throws(() => nmsCubes([a, { ...b, score: NaN }], 0.5), {
    name: "RangeError",
    message: "Cannot run NMS: box 1 has score NaN, expected a number",
  });
});
