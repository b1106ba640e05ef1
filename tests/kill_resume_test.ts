import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { openRunStore } from "../core/run_store_sqlite.ts";
import { writeSyntheticDataset } from "../core/synth/dataset.ts";
import { REPO_ROOT } from "../core/testing/shared_data.ts";
import { readCheckpoint } from "../core/train/checkpoint.ts";

/** A tiny experiment: narrow network, 32³ crops, one stage of 10 steps, a checkpoint every 2. */
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

function train(config: string, runs: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "train", config, "--runs", runs],
    cwd: REPO_ROOT,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

function checkpointFiles(runs: string): string[] {
  if (!existsSync(runs)) return [];
  const out: string[] = [];
  for (const run of readdirSync(runs, { withFileTypes: true })) {
    if (!run.isDirectory()) continue;
    for (const name of readdirSync(join(runs, run.name))) {
      if (name.startsWith("checkpoint-")) out.push(join(runs, run.name, name));
    }
  }
  return out;
}

Deno.test({
  name:
    "pleura train killed with SIGKILL mid-run resumes from its last checkpoint and ends with a valid run",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pleura-kill-" });
    try {
      await writeSyntheticDataset(join(dir, "data"), {
        scans: 6,
        seed: 11,
        shape: { size: 96, slices: 48 },
        subsets: 3,
      });
      const config = join(dir, "tiny.yaml");
      await Deno.writeTextFile(config, tinyExperiment(dir));
      const runs = join(dir, "runs");

      // Kill as soon as the second checkpoint (step 4) is on disk.
      const first = train(config, runs);
      const deadline = Date.now() + 240_000;
      while (
        !checkpointFiles(runs).some((f) => f.endsWith("0000004.bin")) &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      first.kill("SIGKILL");
      const killed = await first.output();
      assert.notEqual(killed.code, 0, "the first process was killed");
      const before = checkpointFiles(runs);
      assert.ok(before.length > 0, "a checkpoint was written before the kill");
      // Every checkpoint on disk is complete (atomic writes).
      for (const file of before) await readCheckpoint(file);

      const second = await train(config, runs).output();
      assert.equal(
        second.code,
        0,
        new TextDecoder().decode(second.stderr).slice(-2000),
      );
      const stderr = new TextDecoder().decode(second.stderr);
      assert.match(stderr, /Resuming run/);
      assert.match(stderr, /Resuming stage 0 at step [2468]/);

      const store = openRunStore(runs);
      try {
        const all = store.listRuns();
        assert.equal(all.length, 1, "the rerun continued the same run");
        const run = all[0];
        assert.equal(run.status, "done");
        assert.ok(run.cpm === undefined || typeof run.cpm === "number");
        // One loss value per step 0..9, none repeated by the resume.
        const steps = store.metrics(run.id).filter((m) => m.name === "loss")
          .map((m) => m.step);
        assert.deepEqual(steps, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        const final = store.latestCheckpoint(run.id)!;
        assert.equal(final.step, 10);
        const checkpoint = await readCheckpoint(final.path);
        assert.equal(checkpoint.meta.complete, true);
        assert.ok(existsSync(join(store.runDir(run.id), "model.onnx")));
        assert.ok(store.getArtifact(run.id, "froc") !== undefined);
      } finally {
        store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
