/**
 * Fixture builders of the integration tests: a tiny experiment on a tiny
 * synthetic dataset that trains in seconds, and `pleura train` as a child
 * process.
 *
 * @module
 */

import { join } from "node:path";
import { writeSyntheticDataset } from "../core/synth/dataset.ts";
import { REPO_ROOT } from "../core/testing/shared_data.ts";

/**
 * A tiny experiment: narrow network, 32³ crops, one stage of 10 steps, a
 * checkpoint every 2, on the dataset at `DIR/data`, caching in `DIR/cache`.
 *
 * @param dir the test's folder
 * @returns the experiment as YAML (extends the CPU preset)
 */
function tinyExperiment(dir: string): string {
  return `
extends: ${join(REPO_ROOT, "configs/base/cpu.yaml")}
name: tiny
data:
  dataset: ${join(dir, "data")}
  test_dataset: null
  train_subsets: [0, 1]
  test_subsets: [2]
  cache_dir: ${join(dir, "cache")}
model:
  backbone:
    plugin: resunet
    options:
      preset: small
      pre_channels: 4
      stage_channels: [4, 4, 4, 4]
      stage_blocks: [1, 1, 1, 1]
      back_channels: [4, 8]
      back_blocks: [1, 1]
  anchor_head: { plugin: rpn3d, options: { hidden_channels: 8 } }
train:
  crop_size: 32
  max_steps: 10
  warmup_steps: 2
  checkpoint_every: 2
  max_minutes: 0
  hard_mining: { stages: 1 }
eval:
  bootstrap: 0
  side: 64
  margin: 16
`;
}

/** Where {@linkcode withTinyExperiment} put things. */
export interface TinyExperiment {
  /** The test's temporary folder. */
  readonly dir: string;
  /** The experiment file ({@linkcode tinyExperiment}). */
  readonly config: string;
  /** The run store folder (not created yet). */
  readonly runs: string;
}

/**
 * Runs `fn` with a temporary folder holding a 6-scan synthetic dataset
 * (96×96×48, seed 11, 3 subsets) and the tiny experiment on it; removes the
 * folder afterwards.
 *
 * @param prefix the temporary folder's name prefix
 * @param fn the test body
 * @returns what `fn` returns
 */
export async function withTinyExperiment<T>(
  prefix: string,
  fn: (tiny: TinyExperiment) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await writeSyntheticDataset(join(dir, "data"), {
      scans: 6,
      seed: 11,
      shape: { size: 96, slices: 48 },
      subsets: 3,
    });
    const config = join(dir, "tiny.yaml");
    await Deno.writeTextFile(config, tinyExperiment(dir));
    return await fn({ dir, config, runs: join(dir, "runs") });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * Starts `pleura train CONFIG --runs RUNS` (stdout discarded, stderr piped).
 *
 * @param config the experiment file
 * @param runs the run store folder
 * @param set `--set path=value` overrides
 * @returns the child process
 */
export function train(
  config: string,
  runs: string,
  set: readonly string[] = [],
): Deno.ChildProcess {
  return pleuraCommand([
    "train",
    config,
    "--runs",
    runs,
    ...set.flatMap((s) => ["--set", s]),
  ]).spawn();
}

/**
 * `deno run -A main.ts ARGS` in the repository, without colours; stderr is
 * piped, stdout discarded unless `stdout` is `"piped"`.
 *
 * @param args the CLI's arguments (command first)
 * @param stdout what to do with stdout (default `"null"`)
 * @returns the command, not started
 */
export function pleuraCommand(
  args: readonly string[],
  stdout: "null" | "piped" = "null",
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: REPO_ROOT,
    stdout,
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
}
