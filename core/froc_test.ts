import assert from "node:assert/strict";
import {
  bootstrapFroc,
  computeFroc,
  falsePositiveMarks,
  FROC_RATES,
  type FrocInput,
  type FrocMark,
  type FrocResult,
  interpNumpy,
  MARK_STATUS,
  pairedBootstrapFroc,
  sensitivityBySize,
  thresholdAtRate,
} from "./froc.ts";
import { createRng, type Rng } from "./random.ts";
import { type Nodule, zyxFromXyz } from "./volume.ts";

// Helpers: positions are written x, y, z as in the LUNA16 CSVs.
function nodule(
  seriesuid: string,
  x: number,
  y: number,
  z: number,
  diameterMm: number,
): Nodule {
  return { seriesuid, worldMm: zyxFromXyz([x, y, z]), diameterMm };
}

function mark(
  seriesuid: string,
  x: number,
  y: number,
  z: number,
  score: number,
): FrocMark {
  return { seriesuid, worldMm: zyxFromXyz([x, y, z]), score };
}

function close(actual: number, expected: number, what: string, tol = 1e-12) {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: ${actual}, expected ${expected}`,
  );
}

function sensitivitiesClose(result: FrocResult, expected: number[]) {
  result.sensitivities.forEach((s, i) =>
    close(s, expected[i], `sensitivity at ${FROC_RATES[i]}`)
  );
}

Deno.test("computeFroc() reproduces the spec's tiny example (a nodule/FP tie gives a diagonal)", () => {
  // Scan S1: nodule A hit by a mark of score 0.9, an FP of score 0.9 (tie),
  // nodule B hit with 0.8; scan S2: empty. Nodule C (S1) is missed. N = 2, L = 3.
  const input: FrocInput = {
    seriesuids: ["S1", "S2"],
    annotations: [
      nodule("S1", 0, 0, 0, 6),
      nodule("S1", 40, 0, 0, 6),
      nodule("S1", 80, 0, 0, 6),
    ],
    marks: [
      mark("S1", 0, 0, 1, 0.9),
      mark("S1", 0, 60, 0, 0.9),
      mark("S1", 40, 1, 0, 0.8),
    ],
  };
  const r = computeFroc(input);
  // Points: (0, 0) → (0.5, 1/3) [tie: both accepted at 0.9] → (0.5, 2/3).
  assert.deepEqual(
    r.points.map((p) => [p.fps, p.sensitivity, p.threshold]),
    [[0, 0, Infinity], [0.5, 1 / 3, 0.9], [0.5, 2 / 3, 0.8]],
  );
  // 1/8 → 1/8 · (1/3)/(1/2) = 1/12; 1/4 → 1/6; 1/2 is the vertical jump →
  // the last point, 2/3; 1…8 are beyond the last fps → 2/3.
  // CPM = (1/12 + 2/12 + 5 · 8/12) / 7 = 43/84 = 0.5119.
  sensitivitiesClose(r, [1 / 12, 1 / 6, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3]);
  close(r.cpm, 43 / 84, "cpm");
  // Dense grid (forks): samples at 0.125, 0.2502125, 0.49985, … — 0.49985 is
  // just before the jump: (1/12 + 0.2502125·2/3 + 0.49985·2/3 + 4·2/3) / 7 ≈ 0.4643.
  assert.deepEqual(r.denseGrid.rates, [
    0.125,
    0.2502125,
    0.49985,
    0.9999125,
    2.0000375,
    4.000287500000001,
    8,
  ]);
  close(
    r.denseGrid.cpm,
    (1 / 12 + 0.2502125 * 2 / 3 + 0.49985 * 2 / 3 + 4 * 2 / 3) / 7,
    "dense-grid cpm",
  );
  assert.equal(r.counts.falseNegatives, 1);
});

Deno.test("computeFroc() applies double hits, shared marks, excluded findings and the strict radius", () => {
  // Scan A: n1 at (0,0,0) and n2 at (6,0,0), both 10 mm (r = 5): they overlap.
  //   m1 (3,0,0) 0.5: d² = 9 to both → detects n1 and n2 (a shared mark)
  //   m2 (0,0,1) 0.4: d² = 1 to n1 → a double detection of n1 (ignored)
  //   m3 (0,0,5) 0.9: d² = 25 to n1, not < 25 → a miss → FP
  //   m4 (20,20,24) 0.95: d² = 16 to the excluded e1 (diameter -1 → r = 5) → ignored
  //   e2 (1,0,0) d = 4 also covers m2, but m2 already went to n1 → not counted
  // Scan B: no nodule; m5 0.8 → FP. Scan C: n3, no mark → missed. Scan D: empty.
  const input: FrocInput = {
    seriesuids: ["A", "B", "C", "D"],
    annotations: [
      nodule("A", 0, 0, 0, 10),
      nodule("A", 6, 0, 0, 10),
      nodule("C", 50, 50, 50, 6),
    ],
    excluded: [nodule("A", 20, 20, 20, -1), nodule("A", 1, 0, 0, 4)],
    marks: [
      mark("A", 3, 0, 0, 0.5),
      mark("A", 0, 0, 1, 0.4),
      mark("A", 0, 0, 5, 0.9),
      mark("A", 20, 20, 24, 0.95),
      mark("B", 9, 9, 9, 0.8),
    ],
  };
  const r = computeFroc(input);
  assert.deepEqual(
    { ...r.counts },
    {
      scans: 4,
      nodules: 3,
      truePositives: 2,
      falsePositives: 2,
      falseNegatives: 1,
      trueNegatives: 0,
      candidates: 5,
      candidatesPerScan: 5 / 4,
      cappedMarks: 0,
      unlistedMarks: 0,
      ignoredOnExcluded: 1,
      doubleDetections: 1,
      multiNoduleMarks: 1,
      sensitivity: 2 / 3,
    },
  );
  // Entries: FP 0.9, FP 0.8, n1 0.5 and n2 0.5 (both via m1). N = 4, L = 3:
  // points (0,0), (1/4,0), (1/2,0), (1/2,2/3). 1/8, 1/4: 0; 1/2: the jump → 2/3;
  // 1…8: beyond → 2/3. CPM = 5 · (2/3) / 7 = 10/21.
  assert.deepEqual(
    r.points.map((p) => [p.fps, p.sensitivity]),
    [[0, 0], [0.25, 0], [0.5, 0], [0.5, 2 / 3]],
  );
  sensitivitiesClose(r, [0, 0, 2 / 3, 2 / 3, 2 / 3, 2 / 3, 2 / 3]);
  close(r.cpm, 10 / 21, "cpm");
  assert.deepEqual(Array.from(r.markStatus), [
    MARK_STATUS.truePositive,
    MARK_STATUS.truePositive,
    MARK_STATUS.falsePositive,
    MARK_STATUS.excluded,
    MARK_STATUS.falsePositive,
  ]);
  assert.deepEqual(
    r.nodules.map((n) => [n.index, n.detected, n.score, n.mark, n.hits]),
    [[0, true, 0.5, 0, 2], [1, true, 0.5, 0, 1], [2, false, NaN, -1, 0]],
  );
  assert.deepEqual(falsePositiveMarks(r, input.marks), [2, 4]);
});

Deno.test("computeFroc() caps marks per scan strictly above the next score, dropping ties", () => {
  // Scan A: n1 (0,0,0) and n2 (30,0,0), 10 mm. Marks: a → n1 0.9, b FP 0.8,
  // c → n2 0.6, d FP 0.6, e FP 0.6.
  const input: FrocInput = {
    seriesuids: ["A"],
    annotations: [nodule("A", 0, 0, 0, 10), nodule("A", 30, 0, 0, 10)],
    marks: [
      mark("A", 0, 0, 0, 0.9),
      mark("A", 90, 0, 0, 0.8),
      mark("A", 30, 0, 0, 0.6),
      mark("A", 90, 90, 0, 0.6),
      mark("A", 0, 90, 0, 0.6),
    ],
  };
  // Cap 3: the 4th highest score is 0.6 → keep scores > 0.6: a and b only.
  // n1 0.9, FP 0.8, n2 missed; N = 1, L = 2: points (0,0), (0,1/2), (1,1/2):
  // every rate reads 1/2 (x = 1 is the last point; beyond reads the last) → CPM 1/2.
  const capped = computeFroc(input, { maxMarksPerScan: 3 });
  assert.equal(capped.counts.candidates, 2);
  assert.equal(capped.counts.cappedMarks, 3);
  close(capped.cpm, 0.5, "cpm with cap 3");
  // Cap 4 keeps the same two: the 5th score is also 0.6 (fewer than 4 survive).
  assert.equal(computeFroc(input, { maxMarksPerScan: 4 }).counts.candidates, 2);
  // No cap: n1 0.9, FP 0.8, then a tie at 0.6 of n2 and two FPs. Points
  // (0,0), (0,1/2), (1,1/2), (3,1). 1/8…1: 1/2 (at x = 1 the point (1, 1/2));
  // 2: halfway (1,1/2)→(3,1) = 3/4; 4, 8: beyond → 1. CPM = (4/2 + 3/4 + 2)/7 = 19/28.
  const uncapped = computeFroc(input, { maxMarksPerScan: null });
  sensitivitiesClose(uncapped, [0.5, 0.5, 0.5, 0.5, 0.75, 1, 1]);
  close(uncapped.cpm, 19 / 28, "cpm without cap");
  assert.equal(uncapped.counts.cappedMarks, 0);
});

Deno.test("computeFroc() keeps at most 100 marks per scan by default, dropping ties at the 101st", () => {
  const marks: FrocMark[] = [];
  // Scan A: 101 marks; the 100th and 101st highest share score 0.01 → both go.
  for (let i = 0; i < 99; i++) {
    marks.push(mark("A", 100 + i, 0, 0, 1 - i / 1000));
  }
  marks.push(mark("A", 0, 0, 0, 0.01), mark("A", 300, 0, 0, 0.01));
  // Scan B: exactly 100 marks → untouched.
  for (let i = 0; i < 100; i++) marks.push(mark("B", i * 20, 0, 0, i / 100));
  const r = computeFroc({
    seriesuids: ["A", "B"],
    annotations: [nodule("A", 0, 0, 0, 10)],
    marks,
  });
  assert.equal(r.maxMarksPerScan, 100);
  assert.equal(r.counts.candidates, 99 + 100);
  assert.equal(r.counts.cappedMarks, 2);
  assert.equal(r.markStatus[99], MARK_STATUS.capped);
  assert.equal(r.markStatus[100], MARK_STATUS.capped);
  // The mark on the nodule was capped, so it is missed and nothing is detected.
  assert.equal(r.counts.truePositives, 0);
  assert.ok(Number.isNaN(r.cpm));
});

Deno.test("computeFroc() reads the ceiling everywhere when there is no false positive", () => {
  // N = 2, L = 3: n1 0.9 and n2 0.4 detected, n3 missed, no FP → fps are all 0
  // (the script's special case), so every rate is beyond the curve → D/L = 2/3.
  const r = computeFroc({
    seriesuids: ["A", "B"],
    annotations: [
      nodule("A", 0, 0, 0, 6),
      nodule("B", 0, 0, 0, 6),
      nodule("B", 50, 0, 0, 6),
    ],
    marks: [mark("A", 0, 0, 0, 0.9), mark("B", 0, 0, 0, 0.4)],
  });
  assert.deepEqual(r.points.map((p) => p.fps), [0, 0, 0]);
  sensitivitiesClose(r, Array(7).fill(2 / 3));
  close(r.cpm, 2 / 3, "cpm");
});

Deno.test("computeFroc() gives NaN sensitivities and CPM when nothing is detected", () => {
  const onlyFps = computeFroc({
    seriesuids: ["A"],
    annotations: [nodule("A", 0, 0, 0, 6)],
    marks: [mark("A", 50, 0, 0, 0.9)],
  });
  assert.ok(onlyFps.sensitivities.every(Number.isNaN));
  assert.ok(Number.isNaN(onlyFps.cpm));
  assert.equal(onlyFps.counts.falsePositives, 1);
  const noMarks = computeFroc({
    seriesuids: ["A"],
    annotations: [nodule("A", 0, 0, 0, 6)],
    marks: [],
  });
  assert.ok(Number.isNaN(noMarks.cpm));
  const noNodules = computeFroc({
    seriesuids: ["A"],
    annotations: [],
    marks: [mark("A", 0, 0, 0, 0.5)],
  });
  assert.ok(Number.isNaN(noNodules.cpm));
  assert.equal(noNodules.counts.sensitivity, 0);
});

Deno.test("computeFroc() ignores nodules and marks of unlisted scans", () => {
  const base: FrocInput = {
    seriesuids: ["A", "B"],
    annotations: [nodule("A", 0, 0, 0, 6)],
    marks: [mark("A", 0, 0, 0, 0.5), mark("B", 50, 0, 0, 0.7)],
  };
  const withExtra: FrocInput = {
    ...base,
    annotations: [...base.annotations, nodule("Z", 0, 0, 0, 6)],
    excluded: [nodule("Z", 9, 9, 9, -1)],
    marks: [...base.marks, mark("Z", 99, 0, 0, 0.99), mark("Z", 0, 0, 0, 0.1)],
  };
  const a = computeFroc(base);
  const b = computeFroc(withExtra);
  // A's nodule 0.5 after B's FP 0.7: points (0,0), (1/2,0), (1/2,1): 1/8, 1/4 → 0;
  // 1/2 → 1 (jump); beyond → 1. CPM = 5/7 either way.
  close(a.cpm, 5 / 7, "cpm");
  assert.equal(b.cpm, a.cpm);
  assert.deepEqual(b.points, a.points);
  assert.equal(b.counts.unlistedMarks, 2);
  assert.equal(b.counts.nodules, 1);
  assert.deepEqual(Array.from(b.markStatus.slice(2)), [
    MARK_STATUS.unlisted,
    MARK_STATUS.unlisted,
  ]);
});

Deno.test("computeFroc() rejects duplicate scan IDs and non-finite values", () => {
  assert.throws(
    () =>
      computeFroc({ seriesuids: ["A", "B", "A"], annotations: [], marks: [] }),
    {
      name: "RangeError",
      message:
        'Cannot compute FROC: scan list has "A" at positions 0 and 2, expected each scan ID once',
    },
  );
  assert.throws(
    () =>
      computeFroc({
        seriesuids: ["A"],
        annotations: [],
        marks: [mark("A", 0, 0, 0, NaN)],
      }),
    {
      name: "RangeError",
      message:
        "Cannot compute FROC: mark 0 has score NaN, expected a finite number",
    },
  );
  assert.throws(
    () =>
      computeFroc({ seriesuids: ["A"], annotations: [], marks: [] }, {
        maxMarksPerScan: 0,
      }),
    /maxMarksPerScan is 0, expected an integer >= 1, null or Infinity/,
  );
});

Deno.test("computeFroc() evaluates a vertical jump at a rate on the script's floating-point abscissa", () => {
  // N = 7 scans, F = 25 FPs, L = 2. Order: nodule n1 (1.0), 7 FPs, nodule n2
  // (0.5), 18 FPs. In exact arithmetic the jump to 2/2 sits at fps = 7/7 = 1,
  // but the script computes ((7/25)·25)/7 = 1.0000000000000002, so x = 1 lies
  // before the jump and reads 1/2 (interpolating (0,1/2)→(1+ε,1/2)).
  // 1/8…1 → 1/2; 2, 4, 8 → 1. CPM = (4/2 + 3)/7 = 5/7.
  const ids = ["A", "B", "C", "D", "E", "F", "G"];
  const marks: FrocMark[] = [mark("A", 0, 0, 0, 1), mark("B", 0, 0, 0, 0.5)];
  for (let i = 0; i < 25; i++) {
    marks.push(
      mark(ids[i % 7], 100 + i, 0, 0, i < 7 ? 0.9 - i / 100 : 0.4 - i / 100),
    );
  }
  const r = computeFroc({
    seriesuids: ids,
    annotations: [nodule("A", 0, 0, 0, 6), nodule("B", 0, 0, 0, 6)],
    marks,
  });
  assert.equal(r.counts.falsePositives, 25);
  assert.equal(r.points[2].fps, 1.0000000000000002);
  sensitivitiesClose(r, [0.5, 0.5, 0.5, 0.5, 1, 1, 1]);
  close(r.cpm, 5 / 7, "cpm");
  // A 26th FP below everything: ((7/26)·26)/7 = 1 exactly, so x = 1 now reads
  // the top of the jump: CPM = (3/2 + 4)/7 = 11/14 (an extra FP raised it).
  const more = computeFroc({
    seriesuids: ids,
    annotations: [nodule("A", 0, 0, 0, 6), nodule("B", 0, 0, 0, 6)],
    marks: [...marks, mark("C", 500, 0, 0, 0.01)],
  });
  assert.equal(more.points[2].fps, 1);
  sensitivitiesClose(more, [0.5, 0.5, 0.5, 1, 1, 1, 1]);
  close(more.cpm, 11 / 14, "cpm with 26 FPs");
});

Deno.test("interpNumpy() follows numpy.interp at jumps, ends and between points", () => {
  const xp = [0, 1, 1, 1, 2];
  const fp = [0, 0.2, 0.4, 0.6, 0.8];
  assert.equal(interpNumpy(1, xp, fp), 0.6); // the last of the points at x = 1
  close(interpNumpy(0.5, xp, fp), 0.1, "between");
  close(interpNumpy(1.5, xp, fp), 0.7, "after the jump");
  assert.equal(interpNumpy(2, xp, fp), 0.8);
  assert.equal(interpNumpy(9, xp, fp), 0.8); // beyond: the last value
  assert.equal(interpNumpy(-1, xp, fp), 0); // below: the first value
});

Deno.test("thresholdAtRate() and sensitivityBySize() use the operating point at or below a rate", () => {
  // N = 2. Nodules: 5 mm (0.9), 12 mm (0.6), 40 mm (missed). FPs 0.8, 0.7.
  const r = computeFroc({
    seriesuids: ["A", "B"],
    annotations: [
      nodule("A", 0, 0, 0, 5),
      nodule("A", 50, 0, 0, 12),
      nodule("B", 0, 0, 0, 40),
    ],
    marks: [
      mark("A", 0, 0, 0, 0.9),
      mark("A", 50, 0, 0, 0.6),
      mark("B", 100, 0, 0, 0.8),
      mark("B", 200, 0, 0, 0.7),
    ],
  });
  // fps: 0.9 → 0, 0.8 → 1/2, 0.7 → 1, 0.6 → 1. At 1/2: threshold 0.8.
  assert.deepEqual(thresholdAtRate(r, 0.5), {
    threshold: 0.8,
    fps: 0.5,
    sensitivity: 1 / 3,
  });
  assert.equal(thresholdAtRate(r, 1).threshold, 0.6);
  const bands = sensitivityBySize(r, [0.5, 1]);
  assert.deepEqual(bands.map((b) => b.label), [
    "<10 mm",
    "10-30 mm",
    ">30 mm",
    "all",
  ]);
  assert.deepEqual(
    bands.map((
      b,
    ) => [b.nodules, b.detected, b.atRates.map((a) => a.sensitivity)]),
    [[1, 1, [1, 1]], [1, 1, [0, 1]], [1, 0, [0, 0]], [3, 2, [1 / 3, 2 / 3]]],
  );
});

// ---------------------------------------------------------------- properties

function randomInput(rng: Rng, scans: number, discrete: boolean): FrocInput {
  const seriesuids = Array.from({ length: scans }, (_, i) => `1.2.${i}`);
  const annotations: Nodule[] = [];
  const excluded: Nodule[] = [];
  const marks: FrocMark[] = [];
  const pos = () => rng.int(40) * 2;
  for (const id of seriesuids) {
    const mine: Nodule[] = [];
    for (let k = rng.int(3); k > 0; k--) {
      mine.push(nodule(id, pos(), pos(), pos(), 3 + rng.int(20)));
    }
    for (let k = rng.int(3); k > 0; k--) {
      excluded.push(nodule(id, pos(), pos(), pos(), rng.next() < 0.5 ? -1 : 4));
    }
    annotations.push(...mine);
    const score = () => discrete ? rng.int(8) / 8 : rng.next();
    for (let k = rng.int(12); k > 0; k--) {
      if (mine.length > 0 && rng.next() < 0.4) {
        const n = mine[rng.int(mine.length)];
        marks.push({ seriesuid: id, worldMm: n.worldMm, score: score() });
      } else {
        marks.push(mark(id, pos(), pos(), pos(), score()));
      }
    }
  }
  return { seriesuids, annotations, excluded, marks };
}

Deno.test("computeFroc() depends only on the order of scores (strictly increasing transforms)", () => {
  const rng = createRng(11);
  for (let trial = 0; trial < 30; trial++) {
    const input = randomInput(rng, 3 + rng.int(20), trial % 2 === 0);
    const base = computeFroc(input);
    const affine = computeFroc({
      ...input,
      marks: input.marks.map((m) => ({ ...m, score: 3 * m.score - 7 })),
    });
    const exponential = computeFroc({
      ...input,
      marks: input.marks.map((m) => ({ ...m, score: Math.exp(5 * m.score) })),
    });
    for (const other of [affine, exponential]) {
      assert.deepEqual(other.sensitivities, base.sensitivities);
      assert.deepEqual(
        other.points.map((p) => [p.fps, p.sensitivity]),
        base.points.map((p) => [p.fps, p.sensitivity]),
      );
    }
  }
});

/** Whether some operating point sits on a rate in exact arithmetic but not in the script's floats. */
function scriptAbscissaOffRate(r: FrocResult): boolean {
  const { falsePositives: F, scans: N } = r.counts;
  return Array.from(r.pool.groups.fp).some((c) =>
    FROC_RATES.includes(c / N) && ((c / F) * F) / N !== c / N
  );
}

Deno.test("computeFroc() never gains CPM from an extra far mark, except through the script's rounding", () => {
  // In exact arithmetic an extra FP can only move the curve right. The script
  // computes fps as ((c/F)·F)/N, so changing F can move a point that sits on a
  // rate by one ulp to either side of it, flipping the vertical-jump rule
  // (see the N = 7, F = 25 test above); only then may the CPM rise.
  const rng = createRng(12);
  let lowered = 0;
  let rounding = 0;
  for (let trial = 0; trial < 60; trial++) {
    const input = randomInput(rng, 2 + rng.int(12), trial % 3 === 0);
    const base = computeFroc(input);
    const id = input.seriesuids[rng.int(input.seriesuids.length)];
    const extra = mark(id, 5000, 5000, 5000, rng.next());
    const more = computeFroc({ ...input, marks: [...input.marks, extra] });
    assert.equal(more.counts.falsePositives, base.counts.falsePositives + 1);
    if (Number.isNaN(base.cpm)) {
      assert.ok(Number.isNaN(more.cpm));
      continue;
    }
    if (more.cpm > base.cpm) {
      assert.ok(
        scriptAbscissaOffRate(base) || scriptAbscissaOffRate(more),
        `trial ${trial}: ${more.cpm} > ${base.cpm} without a rounding cause`,
      );
      rounding++;
    }
    if (more.cpm < base.cpm) lowered++;
  }
  assert.ok(lowered >= 5, `an extra FP lowered the CPM in ${lowered} trials`);
  assert.ok(rounding < 5, `rounding raised the CPM in ${rounding} trials`);
});

Deno.test("computeFroc() does not depend on the file order of marks", () => {
  const rng = createRng(13);
  for (let trial = 0; trial < 30; trial++) {
    const input = randomInput(rng, 2 + rng.int(15), trial % 2 === 0);
    const shuffled = [...input.marks];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
    }
    const a = computeFroc(input, { maxMarksPerScan: 5 });
    const b = computeFroc({ ...input, marks: shuffled }, {
      maxMarksPerScan: 5,
    });
    assert.deepEqual(b.sensitivities, a.sensitivities);
    assert.deepEqual(b.points, a.points);
    assert.deepEqual(b.counts, a.counts);
  }
});

// ----------------------------------------------------------------- bootstrap

/** Resample `result` by hand with the same draws and recompute every CPM from scratch. */
function bruteForceCpms(
  input: FrocInput,
  resamples: number,
  seed: number,
): number[] {
  const base = computeFroc(input);
  const N = input.seriesuids.length;
  const perScan = input.seriesuids.map(() => ({
    entries: [] as { score: number; nodule: boolean }[],
    nodules: 0,
  }));
  for (const n of base.nodules) {
    perScan[n.scan].nodules++;
    if (n.detected) {
      perScan[n.scan].entries.push({ score: n.score, nodule: true });
    }
  }
  base.markStatus.forEach((status, i) => {
    if (status !== MARK_STATUS.falsePositive) return;
    const s = input.seriesuids.indexOf(input.marks[i].seriesuid);
    perScan[s].entries.push({ score: input.marks[i].score, nodule: false });
  });
  const rng = createRng(seed);
  const cpms: number[] = [];
  for (let b = 0; b < resamples; b++) {
    const entries: { score: number; nodule: boolean }[] = [];
    let L = 0;
    for (let i = 0; i < N; i++) {
      const s = perScan[rng.int(N)];
      entries.push(...s.entries);
      L += s.nodules;
    }
    entries.sort((p, q) => q.score - p.score);
    const xs = [0], ys = [0];
    let tp = 0, fp = 0;
    entries.forEach((e, i) => {
      if (e.nodule) tp++;
      else fp++;
      if (i === entries.length - 1 || entries[i + 1].score !== e.score) {
        xs.push(fp / N);
        ys.push(tp / L);
      }
    });
    cpms.push(
      tp === 0
        ? NaN
        : FROC_RATES.reduce((t, x) => t + interpNumpy(x, xs, ys), 0) / 7,
    );
  }
  return cpms;
}

Deno.test("bootstrapFroc() matches a from-scratch recomputation of every resample", () => {
  const input = randomInput(createRng(21), 12, true);
  const boot = bootstrapFroc(computeFroc(input), { resamples: 200, seed: 5 });
  const expected = bruteForceCpms(input, 200, 5);
  expected.forEach((cpm, b) => {
    if (Number.isNaN(cpm)) assert.ok(Number.isNaN(boot.cpmSamples[b]));
    else close(boot.cpmSamples[b], cpm, `resample ${b}`, 1e-12);
  });
});

Deno.test("bootstrapFroc() is deterministic per seed and its CI contains the estimate", () => {
  const input = randomInput(createRng(22), 60, false);
  const result = computeFroc(input);
  const a = bootstrapFroc(result, { resamples: 300, seed: 1 });
  const b = bootstrapFroc(result, { resamples: 300, seed: 1 });
  const c = bootstrapFroc(result, { resamples: 300, seed: 2 });
  assert.deepEqual(a.cpmSamples, b.cpmSamples);
  assert.notDeepEqual(a.cpmSamples, c.cpmSamples);
  assert.ok(a.cpm.lower <= result.cpm && result.cpm <= a.cpm.upper);
  assert.ok(a.cpm.lower < a.cpm.upper);
  a.sensitivities.forEach((s, i) => {
    assert.ok(s.lower <= result.sensitivities[i] + 1e-12, `lower at ${i}`);
    assert.ok(result.sensitivities[i] <= s.upper + 1e-12, `upper at ${i}`);
  });
  // The percentile indices: floor(0.025·300) = 7 and floor(0.975·300) = 292.
  const sorted = Float64Array.from(a.cpmSamples).sort();
  assert.equal(a.cpm.lower, sorted[7]);
  assert.equal(a.cpm.upper, sorted[292]);
  assert.equal(a.band.rates.length, 61);
  assert.equal(a.band.rates[30], 1);
  assert.equal(a.band.mean[30], a.sensitivities[3].mean);
});

Deno.test("bootstrapFroc() counts NaN resamples and leaves them out of the intervals", () => {
  // Tiny example: every resample that draws S2 twice has no nodule → NaN (≈ 1/4).
  const input: FrocInput = {
    seriesuids: ["S1", "S2"],
    annotations: [nodule("S1", 0, 0, 0, 6), nodule("S1", 40, 0, 0, 6)],
    marks: [mark("S1", 0, 0, 0, 0.9), mark("S2", 0, 60, 0, 0.9)],
  };
  const boot = bootstrapFroc(computeFroc(input), { resamples: 400, seed: 3 });
  const nan = Array.from(boot.cpmSamples).filter(Number.isNaN).length;
  assert.equal(boot.nanResamples, nan);
  assert.ok(nan > 50 && nan < 150, `nan resamples ${nan}`);
  assert.ok(Number.isFinite(boot.cpm.lower) && Number.isFinite(boot.cpm.upper));
  assert.ok(Number.isFinite(boot.cpm.mean));
});

Deno.test("pairedBootstrapFroc() of a system against itself gives a zero difference", () => {
  const input = randomInput(createRng(23), 40, false);
  const r = computeFroc(input);
  const paired = pairedBootstrapFroc(r, r, { resamples: 200, seed: 4 });
  assert.equal(paired.deltaCpm, 0);
  assert.ok(paired.deltaSamples.every((d) => d === 0 || Number.isNaN(d)));
  assert.equal(paired.delta.lower, 0);
  assert.equal(paired.delta.upper, 0);
  assert.equal(paired.pValue, 1);
  // The same seed draws the same scans as the single bootstrap.
  assert.deepEqual(
    paired.a.cpmSamples,
    bootstrapFroc(r, { resamples: 200, seed: 4 }).cpmSamples,
  );
});

Deno.test("pairedBootstrapFroc() finds a clearly better system significant", () => {
  const input = randomInput(createRng(24), 60, false);
  const worse = computeFroc(input);
  // B adds a perfect hit on every missed nodule, above every other score.
  const better = computeFroc({
    ...input,
    marks: [
      ...input.marks,
      ...worse.nodules.filter((n) => !n.detected).map((n) => ({
        seriesuid: n.nodule.seriesuid,
        worldMm: n.nodule.worldMm,
        score: 2,
      })),
    ],
  });
  const paired = pairedBootstrapFroc(worse, better, {
    resamples: 300,
    seed: 6,
  });
  assert.ok(paired.deltaCpm > 0);
  assert.ok(paired.delta.lower > 0);
  // p = min(1, 2 · min((1 + #{Δ ≤ 0}) / (V + 1), (1 + #{Δ ≥ 0}) / (V + 1))).
  const deltas = Array.from(paired.deltaSamples).filter((d) =>
    !Number.isNaN(d)
  );
  const V = deltas.length;
  assert.equal(V, 300 - paired.nanResamples);
  const le = deltas.filter((d) => d <= 0).length;
  const ge = deltas.filter((d) => d >= 0).length;
  assert.equal(
    paired.pValue,
    Math.min(1, 2 * Math.min((1 + le) / (V + 1), (1 + ge) / (V + 1))),
  );
  assert.ok(paired.pValue < 0.05, `p = ${paired.pValue}`);
  assert.throws(
    () =>
      pairedBootstrapFroc(
        worse,
        computeFroc({ ...input, seriesuids: input.seriesuids.slice(1) }),
      ),
    /scan lists differ \(60 and 59 scans\)/,
  );
});
