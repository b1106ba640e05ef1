import assert from "node:assert/strict";
import { createEngine } from "../engine/mod.ts";
import {
  applyUpdate,
  applyUpdateArrays,
  applyUpdateOps,
  derivedSeed,
  epochOrder,
  learningRate,
  type StageSettings,
  stageSteps,
  updateArrays,
  type UpdateRule,
  type UpdateSettings,
} from "./trainer.ts";
import { createRng } from "../random.ts";

const SCHEDULE = {
  lr: 0.01,
  warmupSteps: 0,
  milestones: [0.5, 0.8],
  factors: [0.1, 0.01],
};

Deno.test("learningRate() steps down at the milestones (×1 to 50 %, ×0.1 to 80 %, ×0.01 after)", () => {
  assert.equal(learningRate(SCHEDULE, 0, 100), 0.01);
  assert.equal(learningRate(SCHEDULE, 49, 100), 0.01);
  assert.equal(learningRate(SCHEDULE, 50, 100), 0.01 * 0.1);
  assert.equal(learningRate(SCHEDULE, 79, 100), 0.01 * 0.1);
  assert.equal(learningRate(SCHEDULE, 80, 100), 0.01 * 0.01);
});

Deno.test("learningRate() follows the time budget when it runs out before the steps", () => {
  // 10 % of the steps but 60 % of the time: past the first milestone.
  assert.equal(learningRate(SCHEDULE, 10, 100, 0.6), 0.01 * 0.1);
  assert.equal(learningRate(SCHEDULE, 10, 100, 0.85), 0.01 * 0.01);
  assert.equal(learningRate(SCHEDULE, 10, 100, 0.2), 0.01);
});

Deno.test("learningRate() warms up linearly", () => {
  const warm = { ...SCHEDULE, warmupSteps: 4 };
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((s) => learningRate(warm, s, 100)),
    [0.0025, 0.005, 0.0075, 0.01, 0.01],
  );
});

Deno.test("stageSteps() covers the epochs of crops, capped by max_steps", () => {
  const settings = {
    epochs: 3,
    batchSize: 2,
    maxSteps: 0,
    crop: { randomFraction: 0.3 },
  } as unknown as StageSettings;
  // 70 entries → 100 crops per epoch → 300 crops → 150 steps of 2.
  assert.equal(stageSteps(settings, 70, 5), 150);
  assert.equal(stageSteps({ ...settings, maxSteps: 40 }, 70, 5), 40);
});

Deno.test("epochOrder() is a seeded permutation that differs across epochs", () => {
  const a = epochOrder(50, 1, 0, 0);
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.deepEqual(epochOrder(50, 1, 0, 0), a);
  assert.notDeepEqual(epochOrder(50, 1, 0, 1), a);
  assert.notDeepEqual(epochOrder(50, 1, 1, 0), a);
});

Deno.test("derivedSeed() separates nearby inputs", () => {
  const seeds = new Set<number>();
  for (let stage = 0; stage < 3; stage++) {
    for (let step = 0; step < 1000; step++) {
      seeds.add(derivedSeed(0, stage, 2, step));
    }
  }
  assert.equal(seeds.size, 3000);
});

const tf = (await createEngine("tfjs-cpu")).tf;

/** Runs an update rule on w0 with the given gradients; returns w after each. */
function updates(
  settings: UpdateSettings,
  w0: number[],
  gradients: number[][],
  lr: number,
  apply: UpdateRule = applyUpdate,
  gradScale = 1,
): number[][] {
  const w = tf.variable(tf.tensor1d(w0));
  const first = tf.variable(tf.zerosLike(w));
  const second = tf.variable(tf.zerosLike(w));
  const out = gradients.map((g, i) => {
    tf.tidy(() =>
      apply(
        tf,
        w,
        tf.tensor1d(g),
        { first, second },
        settings,
        lr,
        i + 1,
        gradScale,
      )
    );
    return [...w.dataSync()];
  });
  tf.dispose([w, first, second]);
  return out;
}

/** Both implementations of the rule, each checked against the same hand-computed values. */
const RULES: [string, UpdateRule][] = [
  ["tfjs ops", applyUpdateOps],
  ["typed arrays", applyUpdateArrays],
];

function assertClose(actual: number[][], expected: number[][]): void {
  actual.flat().forEach((a, i) =>
    assert.ok(
      Math.abs(a - expected.flat()[i]) < 1e-5,
      `${actual} vs ${expected}`,
    )
  );
}

for (const [name, apply] of RULES) {
  Deno.test(`applyUpdate() sgd (${name}): L2 on the gradient, momentum velocity (hand-computed)`, () => {
    const sgd = { optimizer: "sgd" as const, momentum: 0.9, weightDecay: 0.1 };
    // g' = g + 0.1 w; v = 0.9 v + g'; w -= 0.1 v.
    assertClose(updates(sgd, [1, -2], [[0.5, 0.5], [0.5, 0.5]], 0.1, apply), [
      [0.94, -2.03],
      [0.8266, -2.0867],
    ]);
  });
}

for (const [name, apply] of RULES) {
  Deno.test(`applyUpdate() adam (${name}): a constant gradient moves each weight by lr·sign, plus decoupled decay`, () => {
    // With a constant gradient the bias-corrected moments are g and g², so
    // the step is lr·(sign(g) + λw) whatever β1, β2.
    const adam = {
      optimizer: "adam" as const,
      momentum: 0.9,
      beta2: 0.999,
      weightDecay: 0.1,
    };
    assertClose(
      updates(adam, [1, -2], [[0.5, -0.25], [0.5, -0.25]], 0.1, apply),
      [
        [0.89, -1.88],
        [0.7811, -1.7612],
      ],
    );
  });
}

for (const [name, apply] of RULES) {
  Deno.test(`applyUpdate() adam (${name}): bias correction of both moments (hand-computed second step)`, () => {
    const adam = {
      optimizer: "adam" as const,
      momentum: 0.9,
      beta2: 0.999,
      weightDecay: 0,
    };
    // t=1: m̂ = 1, ŝ = 1 → step 1. t=2 (g = 0): m = 0.09, s = 0.000999,
    // m̂ = 0.09/0.19, ŝ = 0.000999/0.001999 → step 0.6700582.
    assertClose(updates(adam, [0], [[1], [0]], 1, apply), [[-1], [-1.6700582]]);
  });
}

Deno.test("applyUpdate() gradScale multiplies the gradient first (sgd: v = 0.5·g, hand-computed)", () => {
  const sgd = { optimizer: "sgd" as const, momentum: 0.9, weightDecay: 0 };
  for (const [, apply] of RULES) {
    // v = 0.5 · [2, -4] = [1, -2]; w = w0 − 0.1 v.
    assertClose(updates(sgd, [1, 1], [[2, -4]], 0.1, apply, 0.5), [[0.9, 1.2]]);
  }
});

Deno.test("applyUpdate() typed arrays and tfjs ops agree over 20 steps of random gradients (sgd and adam, decay, scale)", () => {
  const rng = createRng(7);
  const w0 = Array.from({ length: 64 }, () => rng.uniform(-1, 1));
  const gradients = Array.from(
    { length: 20 },
    () => Array.from({ length: 64 }, () => rng.uniform(-3, 3)),
  );
  for (
    const settings of [
      { optimizer: "sgd" as const, momentum: 0.9, weightDecay: 1e-4 },
      {
        optimizer: "adam" as const,
        momentum: 0.9,
        beta2: 0.99,
        weightDecay: 1e-2,
      },
    ]
  ) {
    assertClose(
      updates(settings, w0, gradients, 0.01, applyUpdateArrays, 0.7),
      updates(settings, w0, gradients, 0.01, applyUpdateOps, 0.7),
    );
  }
});

Deno.test("updateArrays() leaves its inputs untouched and rejects mismatched lengths", () => {
  const state = {
    weights: new Float32Array([1, 2]),
    grad: new Float32Array([1, 1]),
    first: new Float32Array([0, 0]),
    second: new Float32Array([0, 0]),
  };
  const adam = { optimizer: "adam" as const, momentum: 0.9, weightDecay: 0 };
  const next = updateArrays(state, adam, 0.1, 1);
  assert.deepEqual([...state.weights], [1, 2]);
  assert.deepEqual([...state.first], [0, 0]);
  assertClose([[...next.weights]], [[0.9, 1.9]]);
  assert.throws(
    () => updateArrays({ ...state, grad: new Float32Array(3) }, adam, 0.1, 1),
    /Cannot update 2 weights with 3 gradients/,
  );
  assert.throws(
    () => updateArrays({ ...state, second: undefined }, adam, 0.1, 1),
    /without second moments/,
  );
});
