import assert from "node:assert/strict";
import {
  createRng,
  type CropLabels,
  type Cube,
  cubeIou,
  ShapeError,
} from "../../core/mod.ts";
import { gridOf, type LabelMappingSettings, mapLabels } from "./targets.ts";

const settings: LabelMappingSettings = {
  anchors: [10, 30, 60],
  stride: 4,
  thNeg: 0.02,
  thPos: 0.5,
  thPosValidation: 1,
  numNeg: 800,
};

/** Row of (cell z, y, x, anchor) on a 4³ grid with 3 anchors. */
const rowOf = (z: number, y: number, x: number, a: number) =>
  ((z * 4 + y) * 4 + x) * 3 + a;

/** Values rounded to 6 decimals (float32 targets against float64 expectations). */
const round6 = (values: Iterable<number>) =>
  [...values].map((v) => Number(v.toFixed(6)));

/** Classes of the rows, and the rows holding each class. */
function classes(targets: Float32Array) {
  const rows = targets.length / 5;
  const byClass = new Map<number, number[]>([[1, []], [0, []], [-1, []]]);
  for (let r = 0; r < rows; r++) byClass.get(targets[r * 5])!.push(r);
  return byClass;
}

// A 16³ crop at stride 4: a 4³ grid with cell centres 1.5, 5.5, 9.5, 13.5.
// One nodule, the target, at (z, y, x) = (5.5, 5.5, 7.5), diameter 10.
const target: Cube = { voxel: [5.5, 5.5, 7.5], diameter: 10 };
const crop: CropLabels = {
  cropShape: [16, 16, 16],
  target,
  nodules: [target],
};

Deno.test("mapLabels() marks the hand-computed ignore zones on a 4³ grid", () => {
  // Anchor 10 vs nodule 10: overlap per axis is 10 − |Δ|.
  //   z, y: |Δ| = 4, 0, 4, 8 → 6, 10, 6, 2;  x: |Δ| = 6, 2, 2, 6 → 4, 8, 8, 4.
  //   IoU = I / (2000 − I) ≥ 0.02 ⇔ I ≥ 40/1.02 = 39.2. With one factor 2 the
  //   smallest I is 2·6·4 = 48 (ignored); with z = y = 3 (two factors 2) I is
  //   2·2·4 = 16 or 2·2·8 = 32 (kept as candidate negatives): 60 ignored, 4 not.
  // Anchor 30 contains the nodule from every cell (|Δ| ≤ 10 on each axis):
  //   IoU = 1000 / 27000 = 0.037 ≥ 0.02, all 64 ignored.
  // Anchor 60: IoU = 1000 / 216000 = 0.0046; the skip rule already says so
  //   (60³ · 0.02 / 10² = 43.2 > 10): all 64 stay negative.
  const t = mapLabels({ ...crop, target: null }, settings, false, createRng(0));
  assert.equal(t.length, 4 * 4 * 4 * 3 * 5);
  const negatives = classes(t).get(-1)!;
  const expected = [
    ...[0, 1, 2, 3].map((x) => rowOf(3, 3, x, 0)),
    ...[...Array(64).keys()].map((cell) => cell * 3 + 2),
  ].sort((a, b) => a - b);
  assert.deepEqual(negatives, expected);
  assert.equal(classes(t).get(0)!.length, 60 + 64);
  assert.equal(classes(t).get(1)!.length, 0);
  assert.ok(t.every((v, i) => i % 5 === 0 || v === 0), "regression must be 0");
});

Deno.test("mapLabels() in validation puts the positive at the nearest cell and best anchor", () => {
  // th_pos_val = 1: no anchor matches exactly (no cell centre at x = 7.5), so
  // the cell is round((5.5 − 1.5)/4) = 1, 1, round((7.5 − 1.5)/4) = round(1.5)
  // = 2, and the anchor with the smallest |ln(10 / a)| is 10 (index 0).
  // Regression: dz = (5.5 − 5.5)/10 = 0, dy = 0, dx = (7.5 − 9.5)/10 = −0.2,
  // dd = ln(10/10) = 0.
  const t = mapLabels(crop, settings, false, createRng(0));
  const positives = classes(t).get(1)!;
  assert.deepEqual(positives, [rowOf(1, 1, 2, 0)]);
  const base = positives[0] * 5;
  assert.deepEqual([...t.subarray(base, base + 5)], [
    1,
    0,
    0,
    Math.fround(-0.2),
    0,
  ]);
  // The rest is as without a target: 4 + 64 candidate negatives.
  assert.equal(classes(t).get(-1)!.length, 68);
});

Deno.test("mapLabels() in training picks one of the anchors with IoU ≥ th_pos", () => {
  // Anchor 10 at cells (1, 1, 1) and (1, 1, 2): I = 10·10·8 = 800, IoU =
  // 800/1200 = 0.67 ≥ 0.5; the next best is 10·6·8 = 480 → 0.32. Anchor 30:
  // 0.037. So the positive is one of the two, with dx = (7.5 − 5.5)/10 = 0.2
  // or (7.5 − 9.5)/10 = −0.2.
  const seen = new Set<number>();
  for (let seed = 0; seed < 40; seed++) {
    const t = mapLabels(crop, settings, true, createRng(seed));
    const positives = classes(t).get(1)!;
    assert.equal(positives.length, 1);
    const row = positives[0];
    seen.add(row);
    const dx = row === rowOf(1, 1, 1, 0) ? 0.2 : -0.2;
    assert.ok([rowOf(1, 1, 1, 0), rowOf(1, 1, 2, 0)].includes(row));
    assert.deepEqual([...t.subarray(row * 5, row * 5 + 5)], [
      1,
      0,
      0,
      Math.fround(dx),
      0,
    ]);
    // 68 candidate negatives ≤ 800: all kept.
    assert.equal(classes(t).get(-1)!.length, 68);
  }
  assert.equal(seen.size, 2, "both matching anchors should be drawn");
});

Deno.test("mapLabels() in training keeps num_neg random candidate negatives", () => {
  const few = { ...settings, numNeg: 10 };
  const all = classes(mapLabels(crop, settings, false, createRng(0))).get(-1)!;
  const a = classes(mapLabels(crop, few, true, createRng(3)));
  const b = classes(mapLabels(crop, few, true, createRng(4)));
  assert.equal(a.get(-1)!.length, 10);
  assert.ok(a.get(-1)!.every((r) => all.includes(r)));
  assert.equal(a.get(1)!.length, 1);
  assert.equal(a.get(0)!.length, 4 * 4 * 4 * 3 - 11);
  assert.notDeepEqual(
    a.get(-1),
    b.get(-1),
    "different seeds, different negatives",
  );
  assert.deepEqual(
    mapLabels(crop, few, true, createRng(3)),
    mapLabels(crop, few, true, createRng(3)),
  );
});

Deno.test("mapLabels() in training keeps every candidate negative overlapping the focus, then random ones", () => {
  // 32³ crop, one 10 mm anchor: an 8³ grid. A 5 mm focus on the centre of
  // cell (3, 3, 3) reaches IoU ≥ 0.02 with the anchors of the 3×3×3 cells
  // around it (IoU 0.125 / 0.084 / 0.058 / 0.040 at 0–3 axis offsets of 4 mm)
  // and none at an 8 mm offset (no overlap).
  const one = { ...settings, anchors: [10], numNeg: 30 };
  const labels: CropLabels = {
    cropShape: [32, 32, 32],
    target: null,
    nodules: [],
    focus: { voxel: [13.5, 13.5, 13.5], diameter: 5 },
  };
  const around: number[] = [];
  for (const z of [2, 3, 4]) {
    for (const y of [2, 3, 4]) {
      for (const x of [2, 3, 4]) around.push((z * 8 + y) * 8 + x);
    }
  }
  for (const seed of [1, 2, 3]) {
    const negatives = classes(mapLabels(labels, one, true, createRng(seed)))
      .get(-1)!;
    assert.equal(negatives.length, 30);
    assert.ok(around.every((r) => negatives.includes(r)), `seed ${seed}`);
  }
  // Fewer slots than focus entries: the slots go to focus entries only.
  const ten = classes(
    mapLabels(labels, { ...one, numNeg: 10 }, true, createRng(1)),
  ).get(-1)!;
  assert.equal(ten.length, 10);
  assert.ok(ten.every((r) => around.includes(r)));
  // Without the focus the same 30 slots are random: few land around it.
  const plain = classes(
    mapLabels({ ...labels, focus: null }, one, true, createRng(1)),
  ).get(-1)!;
  assert.equal(plain.length, 30);
  assert.ok(plain.filter((r) => around.includes(r)).length < 10);
  // Validation ignores the focus: every entry stays a candidate.
  assert.equal(
    classes(mapLabels(labels, one, false, createRng(1))).get(-1)!.length,
    512,
  );
});

// A 6 mm nodule at (7.5, 5.5, 8.0) on the 4³ grid (cell centres 1.5 + 4i):
// no 10 mm anchor reaches IoU 0.5 with it, so the fallback applies. Within 4
// voxels per axis: z cells 1, 2 (|7.5 − 5.5| = |7.5 − 9.5| = 2), y cell 1
// only (|5.5 − 1.5| = |5.5 − 9.5| = 4 is not < 4), x cells 1, 2 (2.5, 1.5).
const smallNodule: CropLabels = {
  cropShape: [16, 16, 16],
  target: { voxel: [7.5, 5.5, 8], diameter: 6 },
  nodules: [{ voxel: [7.5, 5.5, 8], diameter: 6 }],
};
const smallNoduleCells: [number, number, number][] = [
  [1, 1, 1],
  [1, 1, 2],
  [2, 1, 1],
  [2, 1, 2],
];
/** Rows of the small nodule's fallback cells (10 mm anchor), in that order. */
const smallNoduleRows = smallNoduleCells.map(([z, y, x]) => rowOf(z, y, x, 0));
/** Row of its nearest cell, which validation and the default keep: z 2 (7.5 → 1.5 rounds up), y 1, x 2 (1.625 → 2). */
const smallNoduleNearest = rowOf(2, 1, 2, 0);
/** The small nodule's offsets from cell (z, y, x) in 10 mm anchor units. */
const smallNoduleOffsets = (z: number, y: number, x: number) => [
  (7.5 - 1.5 - 4 * z) / 10,
  (5.5 - 1.5 - 4 * y) / 10,
  (8 - 1.5 - 4 * x) / 10,
];

Deno.test("mapLabels() with fallback_radius draws a small nodule's positive among the cells around it", () => {
  const wide = { ...settings, fallbackRadius: 4 };
  const seen = new Set<number>();
  for (let seed = 0; seed < 40; seed++) {
    const targets = mapLabels(smallNodule, wide, true, createRng(seed));
    const positives = classes(targets).get(1)!;
    assert.equal(positives.length, 1);
    const row = positives[0];
    const index = smallNoduleRows.indexOf(row);
    assert.ok(index >= 0, `row ${row}`);
    seen.add(row);
    // Regression to the target from that cell's centre, in anchor units.
    const [z, y, x] = smallNoduleCells[index];
    assert.deepEqual(
      round6(targets.subarray(row * 5 + 1, row * 5 + 4)),
      round6(smallNoduleOffsets(z, y, x)),
    );
  }
  assert.equal(seen.size, 4, "every cell in reach is drawn");
  // Validation and the default keep the nearest cell.
  assert.deepEqual(
    classes(mapLabels(smallNodule, wide, false, createRng(0))).get(1),
    [smallNoduleNearest],
  );
  assert.deepEqual(
    classes(mapLabels(smallNodule, settings, true, createRng(0))).get(1),
    [smallNoduleNearest],
  );
});

Deno.test("mapLabels() with allPositives makes every fallback cell or match a positive", () => {
  // The small nodule: its four fallback cells within 4 voxels (z 1–2, y 1,
  // x 1–2) all become positives, each with its own regression targets;
  // validation still keeps the nearest cell alone.
  const all = { ...settings, fallbackRadius: 4, allPositives: true };
  const targets = mapLabels(smallNodule, all, true, createRng(3));
  assert.deepEqual(classes(targets).get(1), smallNoduleRows);
  for (const [index, [z, y, x]] of smallNoduleCells.entries()) {
    const row = smallNoduleRows[index];
    assert.deepEqual(
      round6(targets.subarray(row * 5 + 1, row * 5 + 5)),
      round6([...smallNoduleOffsets(z, y, x), Math.log(6 / 10)]),
    );
  }
  assert.deepEqual(
    classes(mapLabels(smallNodule, all, false, createRng(3))).get(1),
    [smallNoduleNearest],
  );
  // A 10 mm nodule centred on cell (1, 1, 1) (voxel 5.5): the 10 mm anchor
  // reaches IoU ≥ 0.5 only at that cell (one cell away the overlap is
  // 6 · 10 · 10 / (2000 − 600) = 0.43), so the pool is that one entry.
  const centred: Cube = { voxel: [5.5, 5.5, 5.5], diameter: 10 };
  assert.deepEqual(
    classes(
      mapLabels(
        { cropShape: [16, 16, 16], target: centred, nodules: [centred] },
        all,
        true,
        createRng(0),
      ),
    ).get(1),
    [rowOf(1, 1, 1, 0)],
  );
});

Deno.test("mapLabels() clamps the fallback cell into the grid and picks the anchor by log size", () => {
  // Target at (0.2, 15.9, 7.5), d = 25: cells round(−0.325) = 0,
  // round(3.6) = 4 → clamped to 3, round(1.5) = 2; |ln(25/a)| = 0.92, 0.18,
  // 0.88 → anchor 30 (index 1). dz = (0.2 − 1.5)/30, dy = (15.9 − 13.5)/30,
  // dx = (7.5 − 9.5)/30, dd = ln(25/30).
  const edge: Cube = { voxel: [0.2, 15.9, 7.5], diameter: 25 };
  const t = mapLabels(
    { cropShape: [16, 16, 16], target: edge, nodules: [edge] },
    settings,
    false,
    createRng(0),
  );
  const positives = classes(t).get(1)!;
  assert.deepEqual(positives, [rowOf(0, 3, 2, 1)]);
  const got = [...t.subarray(positives[0] * 5, positives[0] * 5 + 5)];
  const want = [1, -1.3 / 30, 2.4 / 30, -2 / 30, Math.log(25 / 30)];
  got.forEach((v, i) =>
    assert.ok(Math.abs(v - want[i]) < 1e-6, `field ${i}: ${v} vs ${want[i]}`)
  );
});

Deno.test("mapLabels() ignores exactly the entries a full IoU search ignores", () => {
  const rng = createRng(21);
  const cropShape = [32, 24, 28] as const;
  const grid = gridOf(cropShape, 4);
  for (let trial = 0; trial < 20; trial++) {
    const nodules: Cube[] = [];
    for (let i = 0; i < 1 + trial % 3; i++) {
      nodules.push({
        voxel: [rng.uniform(-8, 40), rng.uniform(-8, 32), rng.uniform(-8, 36)],
        diameter: rng.uniform(3, 70),
      });
    }
    const t = mapLabels(
      { cropShape, target: null, nodules },
      settings,
      false,
      rng,
    );
    for (let z = 0; z < grid[0]; z++) {
      for (let y = 0; y < grid[1]; y++) {
        for (let x = 0; x < grid[2]; x++) {
          for (let a = 0; a < 3; a++) {
            const anchor: Cube = {
              voxel: [1.5 + 4 * z, 1.5 + 4 * y, 1.5 + 4 * x],
              diameter: settings.anchors[a],
            };
            const ignored = nodules.some((n) =>
              cubeIou(anchor, n) >= settings.thNeg
            );
            const row = ((z * grid[1] + y) * grid[2] + x) * 3 + a;
            assert.equal(
              t[row * 5],
              ignored ? 0 : -1,
              `trial ${trial}, cell ${z},${y},${x}, anchor ${a}`,
            );
          }
        }
      }
    }
  }
});

Deno.test("mapLabels() gives a crop without nodules only candidate negatives", () => {
  const empty = { cropShape: [16, 16, 16] as const, target: null, nodules: [] };
  const t = mapLabels(empty, settings, false, createRng(0));
  assert.ok(t.every((v, i) => v === (i % 5 === 0 ? -1 : 0)));
  const trained = classes(
    mapLabels(empty, { ...settings, numNeg: 50 }, true, createRng(0)),
  );
  assert.equal(trained.get(-1)!.length, 50);
  assert.equal(trained.get(1)!.length, 0);
});

Deno.test("mapLabels() rejects a crop that is not a multiple of the stride", () => {
  assert.throws(
    () =>
      mapLabels(
        { ...crop, cropShape: [16, 18, 16] },
        settings,
        true,
        createRng(0),
      ),
    (error: unknown) =>
      error instanceof ShapeError &&
      error.message ===
        "Cannot use crop labels (crop shape must be positive multiples of the stride 4): shape is [16, 18, 16], expected [16, 20, 16]",
  );
});

Deno.test("mapLabels() rejects a nodule without a valid diameter", () => {
  assert.throws(
    () =>
      mapLabels(
        { ...crop, nodules: [target, { voxel: [1, 2, 3], diameter: -1 }] },
        settings,
        true,
        createRng(0),
      ),
    {
      name: "RangeError",
      message:
        "Cannot map labels: nodule 1 is centred at [1, 2, 3] with diameter -1, expected a finite centre and a finite diameter > 0",
    },
  );
});
