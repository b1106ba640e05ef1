import assert from "node:assert/strict";
import { createRng } from "./random.ts";

Deno.test("createRng() is reproducible per seed and differs across seeds", () => {
  const a = createRng(7), b = createRng(7), c = createRng(8);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
});

Deno.test("createRng() resumes exactly from a saved state", () => {
  const a = createRng(3);
  a.next();
  const saved = a.state();
  const next = [a.next(), a.next()];
  const b = createRng(saved);
  assert.deepEqual([b.next(), b.next()], next);
});

Deno.test("Rng draws have the expected ranges and moments", () => {
  const rng = createRng(11);
  const n = 200_000;
  let sum = 0, sumSq = 0, normalSum = 0, normalSq = 0;
  const counts = new Array(5).fill(0);
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sumSq += u * u;
    counts[rng.int(5)]++;
    const z = rng.normal();
    normalSum += z;
    normalSq += z * z;
  }
  // Uniform: mean 1/2, variance 1/12; the tolerances are ~6 standard errors.
  assert.ok(Math.abs(sum / n - 0.5) < 0.004);
  assert.ok(Math.abs(sumSq / n - (sum / n) ** 2 - 1 / 12) < 0.002);
  for (const count of counts) assert.ok(Math.abs(count / n - 0.2) < 0.006);
  assert.ok(Math.abs(normalSum / n) < 0.014);
  assert.ok(Math.abs(normalSq / n - 1) < 0.02);
  const v = rng.uniform(-2, 3);
  assert.ok(v >= -2 && v < 3);
});

Deno.test("Rng.fork() gives an independent, reproducible stream", () => {
  const a = createRng(5).fork(), b = createRng(5).fork();
  assert.equal(a.next(), b.next());
  const parent = createRng(5);
  const child = parent.fork();
  assert.notEqual(child.next(), parent.next());
});
