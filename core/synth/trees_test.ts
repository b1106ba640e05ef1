import assert from "node:assert/strict";
import { createRng } from "../random.ts";
import { Anatomy, drawAnatomy } from "./anatomy.ts";
import { TubeSet } from "./raster.ts";
import { growTree, type TreeSpec } from "./trees.ts";

function setup(seed: number) {
  const anatomy = new Anatomy(
    drawAnatomy(createRng(seed), { cx: 0, cy: 0, zApex: 0 }),
  );
  const p = anatomy.p;
  const z = -(p.carinaH + 20);
  const level = anatomy.level(z);
  // From the midline to a point well inside the right lung.
  const spec: TreeSpec = {
    side: 0,
    from: [0, level.tracheaV, z],
    to: [-0.5 * level.cavA, level.cavV, z],
    rootRadius: [8, 7],
    minRadius: 0.6,
    lengthFactor: [3, 6],
    maxSegments: 600,
    maxGeneration: 20,
    hu: 40,
  };
  return { anatomy, spec };
}

Deno.test("growTree() keeps every segment after the root inside its lung", () => {
  const { anatomy, spec } = setup(1);
  const tubes = new TubeSet();
  const points = growTree(anatomy, createRng(2), spec, tubes);
  assert.ok(tubes.size > 100, `${tubes.size} segments`);
  assert.ok(tubes.size <= spec.maxSegments);
  assert.ok(points.length >= tubes.size - 1);
  for (let i = 1; i < tubes.size; i++) {
    const [, , , x1, y1, z1, r0, r1] = tubes.get(i);
    assert.ok(
      anatomy.lungDistanceAt(0, x1, y1, z1) < -r1 * 0.5,
      `segment ${i} ends outside the lung`,
    );
    assert.ok(r1 <= r0 && r1 >= spec.minRadius * 0.9);
  }
});

Deno.test("growTree() follows Murray's law at branch points and is deterministic", () => {
  const { anatomy, spec } = setup(3);
  const a = new TubeSet(), b = new TubeSet();
  growTree(anatomy, createRng(7), spec, a);
  growTree(anatomy, createRng(7), spec, b);
  assert.equal(a.size, b.size);
  for (let i = 0; i < a.size; i++) assert.deepEqual(a.get(i), b.get(i));
  // Children start where a parent ends; r₁³ + r₂³ = r³ for complete pairs.
  const byStart = new Map<string, number[]>();
  for (let i = 1; i < a.size; i++) {
    const t = a.get(i);
    const key = t.slice(0, 3).map((v) => v.toFixed(6)).join(",");
    byStart.set(key, [...(byStart.get(key) ?? []), t[6]]);
  }
  let checked = 0;
  for (let i = 1; i < a.size; i++) {
    const t = a.get(i);
    const children = byStart.get(
      t.slice(3, 6).map((v) => v.toFixed(6)).join(","),
    );
    if (children?.length !== 2) continue;
    const sum = children[0] ** 3 + children[1] ** 3;
    assert.ok(Math.abs(sum - t[7] ** 3) < 1e-6 * t[7] ** 3);
    checked++;
  }
  assert.ok(checked > 20, `${checked} bifurcations checked`);
});

Deno.test("growTree() gives up when the root never reaches the lung", () => {
  const { anatomy, spec } = setup(4);
  const tubes = new TubeSet();
  const p = anatomy.p;
  // Pointing straight up the neck from above the apex.
  const points = growTree(anatomy, createRng(1), {
    ...spec,
    from: [0, 0, p.zApex + 50],
    to: [0, 0, p.zApex + 60],
  }, tubes);
  assert.equal(tubes.size, 0);
  assert.deepEqual(points, []);
});
