import assert from "node:assert/strict";
import { join } from "node:path";
import { createRecorder } from "../logger.ts";
import { createRegistry } from "../registry.ts";
import { REPO_ROOT } from "../testing/shared_data.ts";
import type { CliContext } from "./context.ts";
import { evalCommand } from "./eval.ts";

const HEADER = "seriesuid,coordX,coordY,coordZ,diameter_mm";
const MARKS = "seriesuid,coordX,coordY,coordZ,probability";

/** The spec's tiny example as files (CPM 43/84), plus an unlisted scan. */
async function writeCase(dir: string): Promise<Record<string, string>> {
  const files = {
    annotations: join(dir, "annotations.csv"),
    excluded: join(dir, "annotations_excluded.csv"),
    seriesuids: join(dir, "seriesuids.csv"),
    candidates: join(dir, "results.csv"),
    baseline: join(dir, "baseline.csv"),
  };
  await Deno.writeTextFile(
    files.annotations,
    `${HEADER}\nS1,0,0,0,6\nS1,40,0,0,6\nS1,80,0,0,6\nZZ,0,0,0,6\n`,
  );
  await Deno.writeTextFile(files.excluded, `${HEADER}\nS2,0,0,0,-1\n`);
  await Deno.writeTextFile(files.seriesuids, "S1\nS2\n");
  await Deno.writeTextFile(
    files.candidates,
    `${MARKS}\nS1,0,0,1,0.9\nS1,0,60,0,0.9\nS1,40,1,0,0.8\nS2,1,1,1,0.99\nZZ,5,5,5,1\n`,
  );
  // The baseline also finds the third nodule, at the bottom: ceiling 1.
  await Deno.writeTextFile(
    files.baseline,
    `${MARKS}\nS1,0,0,1,0.9\nS1,0,60,0,0.9\nS1,40,1,0,0.8\nS1,80,0,0,0.1\n`,
  );
  return files;
}

function testContext(): { context: CliContext; lines: string[] } {
  const lines: string[] = [];
  const { logger, progress } = createRecorder();
  return {
    context: {
      registry: createRegistry([]),
      logger,
      progress,
      print: (line) => lines.push(line),
    },
    lines,
  };
}

async function run(context: CliContext, args: string[]): Promise<void> {
  await evalCommand(context).exitOverride().parseAsync(args, { from: "user" });
}

Deno.test("pleura eval writes froc.json, froc.csv and froc.svg and prints a summary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = await writeCase(dir);
    const out = join(dir, "out", "nested");
    const { context, lines } = testContext();
    await run(context, [
      "--annotations",
      f.annotations,
      "--excluded",
      f.excluded,
      "--seriesuids",
      f.seriesuids,
      "--candidates",
      f.candidates,
      "--out",
      out,
      "--bootstrap",
      "200",
      "--seed",
      "3",
    ]);
    const report = JSON.parse(await Deno.readTextFile(join(out, "froc.json")));
    assert.ok(Math.abs(report.cpm - 43 / 84) < 1e-12);
    assert.deepEqual(report.fpRates, [0.125, 0.25, 0.5, 1, 2, 4, 8]);
    assert.equal(report.sensitivities.length, 7);
    assert.ok(Math.abs(report.sensitivities[0] - 1 / 12) < 1e-12);
    assert.deepEqual(report.points[0], {
      fps: 0,
      sensitivity: 0,
      threshold: null,
    });
    assert.equal(report.points.length, 3);
    assert.equal(report.ci.resamples, 200);
    assert.equal(typeof report.ci.nanResamples, "number");
    assert.equal(report.ci.cpm.length, 2);
    assert.ok(report.ci.cpm[0] <= report.ci.cpm[1]);
    assert.equal(report.ci.sensitivities.length, 7);
    assert.equal(report.counts.truePositives, 2);
    assert.equal(report.counts.falsePositives, 1);
    assert.equal(report.counts.ignoredOnExcluded, 1);
    assert.equal(report.counts.unlistedMarks, 1);
    assert.equal(report.maxMarksPerScan, 100);
    assert.deepEqual(report.missed, [
      { seriesuid: "S1", coordX: 80, coordY: 0, coordZ: 0, diameter_mm: 6 },
    ]);
    assert.equal(report.topFalsePositives[0].row, 3);
    assert.deepEqual(
      report.bySize.bands.map((b: { label: string }) => b.label),
      ["<10 mm", "10-30 mm", ">30 mm", "all"],
    );
    assert.equal(report.comparison, undefined);
    const csv = await Deno.readTextFile(join(out, "froc.csv"));
    assert.equal(
      csv,
      `fps,sensitivity,threshold\n0,0,inf\n0.5,${1 / 3},0.9\n0.5,${
        2 / 3
      },0.8\n`,
    );
    const svg = await Deno.readTextFile(join(out, "froc.svg"));
    assert.match(svg, /FROC: results\.csv, CPM 0\.512 \(95% CI/);
    assert.equal(lines.length, 4);
    assert.match(lines[0], /results\.csv: 2 scans, 3 nodules, 4 candidates/);
    assert.match(
      lines[1],
      /^CPM 0\.5119 \(95% CI 0\.\d{4}–[01]\.\d{4}, 200 resamples/,
    );
    assert.equal(
      lines[2],
      "sensitivity at 1/8 1/4 1/2 1 2 4 8 FP/scan: 0.0833 0.1667 0.6667 0.6667 0.6667 0.6667 0.6667",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pleura eval --baseline adds a paired comparison", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const f = await writeCase(dir);
    const { context, lines } = testContext();
    await run(context, [
      "--annotations",
      f.annotations,
      "--excluded",
      f.excluded,
      "--seriesuids",
      f.seriesuids,
      "--candidates",
      f.candidates,
      "--baseline",
      f.baseline,
      "--out",
      dir,
      "--bootstrap",
      "100",
      "--no-cap",
    ]);
    const report = JSON.parse(await Deno.readTextFile(join(dir, "froc.json")));
    assert.equal(report.maxMarksPerScan, null);
    // Baseline: points (0,0), (1/2,1/3), (1/2,2/3), (1/2,1) → 1/12, 1/6, then 1 × 5:
    // CPM = (1/12 + 2/12 + 5)/7 = 21/28 = 3/4.
    assert.ok(Math.abs(report.comparison.baselineCpm - 0.75) < 1e-12);
    assert.ok(Math.abs(report.comparison.deltaCpm - (43 / 84 - 0.75)) < 1e-12);
    assert.equal(report.comparison.ci.length, 2);
    assert.ok(report.comparison.pValue > 0 && report.comparison.pValue <= 1);
    assert.match(
      lines[3],
      /^baseline baseline\.csv: CPM 0\.7500, ΔCPM -0\.2381/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pleura eval rejects missing and invalid options with a one-line UsageError", async () => {
  const { context } = testContext();
  await assert.rejects(() => run(context, ["--annotations", "a.csv"]), {
    name: "UsageError",
    message:
      "eval: missing option --excluded (needs --annotations, --excluded, --seriesuids, --candidates and --out)",
  });
  const all = [
    "--annotations",
    "a",
    "--excluded",
    "e",
    "--seriesuids",
    "s",
    "--candidates",
    "c",
    "--out",
    "o",
  ];
  await assert.rejects(() => run(context, [...all, "--bootstrap", "ten"]), {
    name: "UsageError",
    message: 'eval: option --bootstrap is "ten", expected an integer >= 0',
  });
  await assert.rejects(() => run(context, [...all, "--bootstrap", "-1"]), {
    name: "UsageError",
  });
  // Valid options but a missing file: a DataError naming it.
  await assert.rejects(() => run(context, all), {
    name: "DataError",
    message: /Cannot read "a": the file does not exist/,
  });
});

Deno.test("pleura eval runs from main.ts and exits 2 on a usage error", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "eval", "--annotations", "x.csv"],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  assert.equal(output.code, 2);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(
    stderr,
    "pleura: eval: missing option --excluded (needs --annotations, --excluded, --seriesuids, --candidates and --out)\n",
  );
});
