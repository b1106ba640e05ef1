/**
 * Fixture builders of the integration tests: a tiny experiment that trains
 * in seconds, and `pleura train` as a child process.
 *
 * @module
 */

import { join } from "node:path";
import { REPO_ROOT } from "../core/testing/shared_data.ts";

/**
 * A tiny experiment: narrow network, 32³ crops, one stage of 10 steps, a
 * checkpoint every 2, on the dataset at `DIR/data`, caching in `DIR/cache`.
 *
 * @param dir the test's folder
 * @returns the experiment as YAML (extends the CPU preset)
 */
export function tinyExperiment(dir: string): string {
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
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "main.ts",
      "train",
      config,
      "--runs",
      runs,
      ...set.flatMap((s) => ["--set", s]),
    ],
    cwd: REPO_ROOT,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}
