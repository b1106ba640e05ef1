import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { openRunStore } from "../core/run_store_sqlite.ts";
import { readCheckpoint } from "../core/train/checkpoint.ts";
import { train, withTinyExperiment } from "./fixtures.ts";

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
    await withTinyExperiment("pleura-kill-", async ({ config, runs }) => {
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
    });
  },
});
