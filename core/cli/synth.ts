/**
 * `pleura synth`: writes a synthetic chest-CT dataset in the LUNA16 layout
 * (images, lung masks, annotations, excluded findings, series list and a
 * manifest), Pleura's built-in default data.
 *
 * @module
 */

import { Command } from "commander";
import { writeSyntheticDataset } from "../synth/mod.ts";
import { type CliContext, UsageError } from "./context.ts";

/** Flags of `pleura synth`, as commander hands them over. */
interface SynthFlags {
  out?: string;
  scans?: string;
  seed: string;
  size: string;
  slices: string;
  subsets: string;
  nodules: string;
  compress?: boolean;
  overwrite?: boolean;
}

/** Builds the `synth` command. */
export function synthCommand(context: CliContext): Command {
  return new Command("synth")
    .description(
      "Write a synthetic chest-CT dataset in the LUNA16 layout (images, lung masks, annotations)",
    )
    .option("--out <dir>", "dataset folder (created if missing)")
    .option("--scans <n>", "number of scans")
    .option("--seed <n>", "dataset seed", "0")
    .option("--size <n>", "in-plane size in pixels (32-2048)", "512")
    .option(
      "--slices <n>",
      '"auto" (scanned range / a drawn 0.625-2.5 mm spacing) or a count (8-2000)',
      "auto",
    )
    .option(
      "--subsets <n>",
      "number of subset folders (1-10); scan i goes to subset i mod n",
      "10",
    )
    .option(
      "--nodules <n>",
      '"auto" (0-3 per scan, about one on average), a count (0-8) or a range "min-max" drawn per scan',
      "auto",
    )
    .option("--compress", "zlib-compress the images (.zraw instead of .raw)")
    .option(
      "--overwrite",
      "write into a non-empty folder, replacing an earlier synthetic dataset",
    )
    .action(async (flags: SynthFlags) => {
      await runSynth(context, flags);
    });
}

async function runSynth(context: CliContext, flags: SynthFlags): Promise<void> {
  if (!flags.out) {
    throw new UsageError("synth: missing option --out (the dataset folder)");
  }
  if (flags.scans === undefined) {
    throw new UsageError("synth: missing option --scans (the number of scans)");
  }
  const scans = integerFlag("scans", flags.scans, 1, 10000);
  const seed = integerFlag("seed", flags.seed, 0, 0xffffffff);
  const size = integerFlag("size", flags.size, 32, 2048);
  const slices = flags.slices.trim() === "auto"
    ? "auto" as const
    : integerFlag("slices", flags.slices, 8, 2000, '"auto" or ');
  const subsets = integerFlag("subsets", flags.subsets, 1, 10);
  const perScan = noduleFlag(flags.nodules);
  const started = performance.now();
  let manifest;
  try {
    manifest = await writeSyntheticDataset(flags.out, {
      scans,
      seed,
      shape: { size, slices },
      subsets,
      nodules: perScan,
      compress: flags.compress ?? false,
      overwrite: flags.overwrite ?? false,
      progress: context.progress,
      logger: context.logger,
    });
  } catch (error) {
    // A non-empty folder is the user's call to make: say how, on one line.
    if (error instanceof RangeError && /not empty/.test(error.message)) {
      throw new UsageError(
        `synth: folder "${flags.out}" is not empty (pass --overwrite to replace an earlier synthetic dataset)`,
      );
    }
    throw error;
  }
  const nodules = manifest.scans.reduce((n, s) => n + s.nodules.length, 0);
  const seconds = (performance.now() - started) / 1000;
  context.print(
    `wrote ${scans} scans (${nodules} nodules) to ${flags.out} in ${
      seconds.toFixed(1)
    } s`,
  );
}

function noduleFlag(value: string): "auto" | [number, number] {
  const text = value.trim();
  if (text === "auto") return "auto";
  // A count "n" is the range n-n.
  const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(text);
  const min = Number(match?.[1]), max = Number(match?.[2] ?? match?.[1]);
  if (!(min >= 0 && max <= 8 && min <= max)) {
    throw new UsageError(
      `synth: option --nodules is "${value}", expected "auto", a count in [0, 8] or a range "min-max" within it`,
    );
  }
  return [min, max];
}

function integerFlag(
  name: string,
  value: string,
  min: number,
  max: number,
  prefix = "",
): number {
  const n = Number(value);
  if (
    !/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min ||
    n > max
  ) {
    throw new UsageError(
      `synth: option --${name} is "${value}", expected ${prefix}an integer in [${min}, ${max}]`,
    );
  }
  return n;
}
