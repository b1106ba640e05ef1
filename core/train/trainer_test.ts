import assert from "node:assert/strict";
import {
  derivedSeed,
  epochOrder,
  learningRate,
  type StageSettings,
  stageSteps,
} from "./trainer.ts";

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
