import assert from "node:assert/strict";
import { join } from "node:path";
import { openLuna16Dataset } from "../dataset/luna16.ts";
import { createRecorder } from "../logger.ts";
import { createRegistry } from "../registry.ts";
import type { CliContext } from "./context.ts";
import { UsageError } from "./context.ts";
import { synthCommand } from "./synth.ts";

function testContext(): {
  context: CliContext;
  lines: string[];
  events: ReturnType<typeof createRecorder>["events"];
} {
  const lines: string[] = [];
  const { logger, progress, events } = createRecorder();
  return {
    context: {
      registry: createRegistry([]),
      logger,
      progress,
      print: (line) => lines.push(line),
    } as CliContext,
    lines,
    events,
  };
}

async function run(context: CliContext, args: string[]): Promise<void> {
  await synthCommand(context).exitOverride().parseAsync(args, { from: "user" });
}

Deno.test("pleura synth writes a LUNA16-layout dataset and reports progress per scan", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pleura_synth_cli_" });
  try {
    const out = join(dir, "data");
    const { context, lines, events } = testContext();
    await run(context, [
      "--out",
      out,
      "--scans",
      "2",
      "--seed",
      "9",
      "--size",
      "40",
      "--slices",
      "16",
      "--subsets",
      "2",
    ]);
    const dataset = await openLuna16Dataset(out, { validate: true });
    assert.deepEqual(dataset.seriesuids, [
      "1.3.6.1.4.1.55555.9.0",
      "1.3.6.1.4.1.55555.9.1",
    ]);
    assert.deepEqual(dataset.scans.map((s) => s.subset).sort(), [0, 1]);
    assert.equal(events.filter((e) => e.kind === "step").length, 2);
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^wrote 2 scans \(\d+ nodules\) to .*data in \d+\.\d s$/,
    );
    // A second run into the same folder needs --overwrite.
    await assert.rejects(
      () =>
        run(context, [
          "--out",
          out,
          "--scans",
          "1",
          "--size",
          "40",
          "--slices",
          "16",
        ]),
      (error) =>
        error instanceof UsageError &&
        /^synth: folder ".*data" is not empty \(pass --overwrite to replace an earlier synthetic dataset\)$/
          .test(error.message),
    );
    await run(context, [
      "--out",
      out,
      "--scans",
      "1",
      "--size",
      "40",
      "--slices",
      "16",
      "--overwrite",
      "--nodules",
      "3",
    ]);
    const rewritten = await openLuna16Dataset(out);
    assert.equal(rewritten.scans.length, 1);
    // --nodules 3: that many rows in the table, and in the report.
    assert.equal(rewritten.annotations.length, 3);
    assert.match(lines[1], /^wrote 1 scans \(3 nodules\) to /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pleura synth rejects bad options with a one-line usage error", async () => {
  const { context } = testContext();
  const cases: [string[], RegExp][] = [
    [["--scans", "2"], /^synth: missing option --out \(the dataset folder\)$/],
    [["--out", "x"], /^synth: missing option --scans \(the number of scans\)$/],
    [
      ["--out", "x", "--scans", "0"],
      /^synth: option --scans is "0", expected an integer in \[1, 10000\]$/,
    ],
    [
      ["--out", "x", "--scans", "2", "--seed", "-3"],
      /^synth: option --seed is "-3", expected an integer in \[0, 4294967295\]$/,
    ],
    [
      ["--out", "x", "--scans", "2", "--size", "12"],
      /^synth: option --size is "12", expected an integer in \[32, 2048\]$/,
    ],
    [
      ["--out", "x", "--scans", "2", "--slices", "many"],
      /^synth: option --slices is "many", expected "auto" or an integer in \[8, 2000\]$/,
    ],
    [
      ["--out", "x", "--scans", "2", "--subsets", "12"],
      /^synth: option --subsets is "12", expected an integer in \[1, 10\]$/,
    ],
    ...["9", "4-2", "two", "1-9"].map((value): [string[], RegExp] => [
      ["--out", "x", "--scans", "2", "--nodules", value],
      new RegExp(
        `^synth: option --nodules is "${value}", expected "auto", a count in \\[0, 8\\] or a range "min-max" within it$`,
      ),
    ]),
  ];
  for (const [args, message] of cases) {
    await assert.rejects(
      () => run(context, args),
      (error) => error instanceof UsageError && message.test(error.message),
      args.join(" "),
    );
  }
});
