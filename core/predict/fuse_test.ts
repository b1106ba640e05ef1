import assert from "node:assert/strict";
import type { Detection } from "../volume.ts";
import { fuseDetections } from "./fuse.ts";

const box = (
  z: number,
  y: number,
  x: number,
  score: number,
  seriesuid = "s",
): Detection => ({ seriesuid, worldMm: [z, y, x], diameterMm: 5, score });

Deno.test("fuseDetections scores a hand-computed case: shared, single-model and floor-limited findings", () => {
  // Stage 0 finds A (10,10,10) at 6 and B (50,50,50) at 2; stage 1 finds A
  // 1 voxel off at 1, C (80,20,20) at 5, and a weaker box 2 voxels from its
  // own A box (0.5). Weights 1 and 3: mean = (w0·s0 + w1·s1) / 4, floor -3.
  const stage0 = [box(10, 10, 10, 6), box(50, 50, 50, 2)];
  const stage1 = [box(11, 10, 10, 1), box(80, 20, 20, 5), box(13, 10, 10, 0.5)];
  const fused = fuseDetections([stage0, stage1], {
    weights: [1, 3],
    floor: -3,
    radiusMm: 4,
  });
  // A from stage 0: (6 + 3·1) / 4 = 2.25; A from stage 1: (6 + 3) / 4, the
  // same score, later list, dropped as a duplicate. C: (-3 + 15) / 4 = 3.
  // B: (2 - 9) / 4 = -1.75. The 0.5 box is 3 voxels from stage 0's A
  // (within 4) and 2 from stage 1's: (6 + 1.5) / 4 = 1.875, dropped (within
  // 4 of the kept A).
  assert.deepEqual(fused, [
    box(80, 20, 20, 3),
    box(10, 10, 10, 2.25),
    box(50, 50, 50, -1.75),
  ]);
});

Deno.test("fuseDetections with one list and weight 1 keeps the list (deduplicated within the radius)", () => {
  const list = [box(0, 0, 0, 3), box(0, 0, 3, 2), box(0, 0, 5, 1)];
  assert.deepEqual(
    fuseDetections([list], { weights: [1], floor: -3, radiusMm: 4 }),
    [box(0, 0, 0, 3), box(0, 0, 5, 1)],
  );
});

Deno.test("fuseDetections leaves out a list of weight 0", () => {
  const a = [box(0, 0, 0, 9), box(50, 0, 0, 8)];
  const b = [box(0, 0, 1, -1), box(30, 0, 0, 4)];
  assert.deepEqual(
    fuseDetections([a, b], { weights: [0, 1], floor: -3, radiusMm: 4 }),
    b.toSorted((p, q) => q.score - p.score),
  );
});

Deno.test("fuseDetections matches within a scan only and keeps the scans' order", () => {
  // The same place in two scans: no match across scans.
  const a = [box(0, 0, 0, 4, "p"), box(0, 0, 0, 2, "q")];
  const b = [box(0, 0, 1, 0, "q"), box(9, 9, 9, 6, "r")];
  assert.deepEqual(
    fuseDetections([a, b], { weights: [1, 1], floor: -4, radiusMm: 4 }),
    [box(0, 0, 0, 0, "p"), box(0, 0, 0, 1, "q"), box(9, 9, 9, 1, "r")],
  );
});

Deno.test("fuseDetections caps the kept boxes per scan and accepts empty lists", () => {
  const a = [
    box(0, 0, 0, 3),
    box(20, 0, 0, 2),
    box(40, 0, 0, 1),
    box(0, 0, 0, 1, "t"),
  ];
  assert.deepEqual(
    fuseDetections([a, []], {
      weights: [1, 1],
      floor: -3,
      radiusMm: 4,
      maxKept: 2,
    }).map((d) => [d.seriesuid, d.worldMm[0]]),
    [["s", 0], ["s", 20], ["t", 0]],
  );
  assert.deepEqual(
    fuseDetections([[], []], { weights: [1, 1], floor: -3, radiusMm: 4 }),
    [],
  );
});

Deno.test("fuseDetections rejects weights that do not match the lists", () => {
  assert.throws(
    () => fuseDetections([[], []], { weights: [1], floor: -3, radiusMm: 4 }),
    {
      name: "RangeError",
      message:
        "Cannot fuse 2 box lists with 1 weights, expected one weight per list",
    },
  );
  assert.throws(
    () => fuseDetections([[]], { weights: [0], floor: -3, radiusMm: 4 }),
    /expected weights ≥ 0 that are not all 0/,
  );
});
