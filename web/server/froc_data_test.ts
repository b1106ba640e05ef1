import assert from "node:assert/strict";
import { join } from "node:path";
import { evalCommand } from "../../core/cli/eval.ts";
import {
  computeFroc,
  FROC_RATES,
  pairedBootstrapFroc,
} from "../../core/froc.ts";
import {
  createRecorder,
  createRegistry,
  openRunStore,
  type RunStore,
} from "../../core/mod.ts";
import {
  EvaluationCache,
  frocSummarySchema,
  listedFromSummary,
  loadEvaluation,
  missedNodules,
  pairedDelta,
  readFrocSummary,
  topFalsePositives,
} from "./froc_data.ts";

const HEADER = "seriesuid,coordX,coordY,coordZ,diameter_mm";

async function withStore(body: (store: RunStore) => Promise<void> | void) {
  const root = await Deno.makeTempDir({ prefix: "pleura_froc_data_" });
  const store = openRunStore(root);
  try {
    await body(store);
  } finally {
    store.close();
    await Deno.remove(root, { recursive: true });
  }
}

function newRun(store: RunStore) {
  return store.createRun({
    name: "r",
    configJson: "{}",
    configHash: "0",
    schemaVersion: 1,
    slots: {},
  });
}

/** Two scans: S1 has nodules at x = 0 and 40 mm (6 mm), S2 none. */
const INPUT = {
  seriesuids: ["S1", "S2"],
  annotations: [
    {
      seriesuid: "S1",
      worldMm: [0, 0, 0] as [number, number, number],
      diameterMm: 6,
    },
    {
      seriesuid: "S1",
      worldMm: [0, 0, 40] as [number, number, number],
      diameterMm: 12,
    },
  ],
  excluded: [],
  marks: [
    {
      seriesuid: "S1",
      worldMm: [1, 0, 0] as [number, number, number],
      score: 0.9,
      diameterMm: 5,
    },
    {
      seriesuid: "S1",
      worldMm: [0, 60, 0] as [number, number, number],
      score: 0.7,
    },
    {
      seriesuid: "S2",
      worldMm: [0, 0, 0] as [number, number, number],
      score: 0.95,
    },
    {
      seriesuid: "S2",
      worldMm: [9, 9, 9] as [number, number, number],
      score: 0.2,
    },
  ],
  maxMarksPerScan: 100,
};

Deno.test("frocSummarySchema reads the froc.json that pleura eval writes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      join(dir, "annotations.csv"),
      `${HEADER}\nS1,0,0,0,6\nS1,40,0,0,6\n`,
    );
    await Deno.writeTextFile(join(dir, "excluded.csv"), `${HEADER}\n`);
    await Deno.writeTextFile(join(dir, "seriesuids.csv"), "S1\nS2\n");
    await Deno.writeTextFile(
      join(dir, "results.csv"),
      "seriesuid,coordX,coordY,coordZ,probability\nS1,0,0,1,0.9\nS1,0,60,0,0.7\nS2,5,5,5,0.95\n",
    );
    const { logger, progress } = createRecorder();
    await evalCommand({
      registry: createRegistry([]),
      logger,
      progress,
      print: () => {},
    }).exitOverride().parseAsync([
      "--annotations",
      join(dir, "annotations.csv"),
      "--excluded",
      join(dir, "excluded.csv"),
      "--seriesuids",
      join(dir, "seriesuids.csv"),
      "--candidates",
      join(dir, "results.csv"),
      "--out",
      join(dir, "out"),
      "--bootstrap",
      "50",
    ], { from: "user" });
    const report = JSON.parse(
      await Deno.readTextFile(join(dir, "out", "froc.json")),
    );
    const parsed = frocSummarySchema.parse(report);
    // Entries FP 0.95, TP 0.9, FP 0.7 over N = 2 scans, L = 2 nodules: points
    // (0, 0), (0.5, 0), (0.5, 0.5), (1, 0.5); at 1/2 the last point counts.
    assert.deepEqual(parsed.sensitivities, [0, 0, 0.5, 0.5, 0.5, 0.5, 0.5]);
    assert.equal(parsed.cpm, 2.5 / 7);
    assert.deepEqual(parsed.bySize!.map((b) => b.label), [
      "<10 mm",
      "10-30 mm",
      ">30 mm",
      "all",
    ]);
    assert.equal(parsed.ci!.sensitivities.length, 7);
    assert.deepEqual(listedFromSummary(parsed.missed!), [{
      seriesuid: "S1",
      worldMm: [0, 0, 40],
      diameterMm: 6,
    }]);
    const fps = listedFromSummary(parsed.topFalsePositives!);
    assert.deepEqual(fps.map((f) => f.score), [0.95, 0.7]);
    assert.deepEqual(fps[0].worldMm, [5, 5, 5]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readFrocSummary() turns nulls into NaN and names a malformed field", () =>
  withStore((store) => {
    const run = newRun(store);
    assert.equal(readFrocSummary(store, run.id), undefined);
    store.putArtifact(run.id, "froc", {
      cpm: null,
      sensitivities: [null, null, null, null, null, null, null],
      points: [{ fps: 0, sensitivity: 0 }],
      ci: null,
    });
    const summary = readFrocSummary(store, run.id)!;
    assert.ok(Number.isNaN(summary.cpm));
    assert.equal(summary.ci, undefined);
    store.putArtifact(run.id, "froc.stage1", {
      cpm: 0.5,
      sensitivities: [0.5],
      points: [],
    });
    assert.throws(
      () => readFrocSummary(store, run.id, "froc.stage1"),
      /Cannot read artefact "froc\.stage1" of run ".*": field "sensitivities" too small/,
    );
  }));

Deno.test("loadEvaluation() recomputes the FROC; missed nodules and false positives come from it", () =>
  withStore((store) => {
    const run = newRun(store);
    assert.equal(loadEvaluation(store, run.id), undefined);
    store.putArtifact(run.id, "froc.input", INPUT);
    const evaluation = loadEvaluation(store, run.id)!;
    const direct = computeFroc(INPUT);
    assert.equal(evaluation.result.cpm, direct.cpm);
    assert.deepEqual(missedNodules(evaluation), [{
      seriesuid: "S1",
      worldMm: [0, 0, 40],
      diameterMm: 12,
    }]);
    assert.deepEqual(
      topFalsePositives(evaluation, 2).map((f) => [f.seriesuid, f.score]),
      [["S2", 0.95], ["S1", 0.7]],
    );
    assert.ok(Number.isNaN(topFalsePositives(evaluation)[0].diameterMm));
  }));

Deno.test("pairedDelta() equals core's paired bootstrap and explains different scan lists", () => {
  const a = { input: { ...INPUT }, result: computeFroc(INPUT) };
  const betterMarks = [
    ...INPUT.marks,
    {
      seriesuid: "S1",
      worldMm: [0, 0, 41] as [number, number, number],
      score: 0.99,
    },
  ];
  const b = {
    input: { ...INPUT, marks: betterMarks },
    result: computeFroc({ ...INPUT, marks: betterMarks }),
  };
  const delta = pairedDelta(a, b, 300, 4);
  const reference = pairedBootstrapFroc(a.result, b.result, {
    resamples: 300,
    seed: 4,
  });
  assert.ok("deltaCpm" in delta);
  assert.equal(delta.deltaCpm, b.result.cpm - a.result.cpm);
  assert.deepEqual(delta.ci, [reference.delta.lower, reference.delta.upper]);
  assert.equal(delta.pValue, reference.pValue);
  const other = computeFroc({ ...INPUT, seriesuids: ["S1"] });
  const refused = pairedDelta(a, { input: INPUT, result: other });
  assert.ok("error" in refused);
  assert.match(refused.error, /scan lists differ \(2 and 1 scans\)/);
  assert.equal(FROC_RATES.length, 7);
});

Deno.test("EvaluationCache reuses a finished run's evaluation and its deltas", () =>
  withStore((store) => {
    const a = newRun(store), b = newRun(store);
    store.putArtifact(a.id, "froc.input", INPUT);
    store.putArtifact(b.id, "froc.input", INPUT);
    store.updateRun(a.id, { status: "done", endedAt: 1 });
    store.updateRun(b.id, { status: "done", endedAt: 2 });
    const cache = new EvaluationCache(4);
    const runA = store.getRun(a.id)!, runB = store.getRun(b.id)!;
    const first = cache.get(store, runA);
    assert.equal(cache.get(store, runA), first);
    const delta = cache.delta(store, runA, runB, 50);
    assert.equal(cache.delta(store, runA, runB, 50), delta);
    assert.ok(delta && "deltaCpm" in delta && delta.deltaCpm === 0);
    // A run that is still going is read again each time.
    const c = newRun(store);
    store.putArtifact(c.id, "froc.input", INPUT);
    const runC = store.getRun(c.id)!;
    assert.notEqual(cache.get(store, runC), cache.get(store, runC));
  }));
