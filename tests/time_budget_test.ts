import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readCandidatesCsv } from "../core/dataset/luna16.ts";
import { fuseDetections } from "../core/predict/fuse.ts";
import { openRunStore } from "../core/run_store_sqlite.ts";
import type { Detection } from "../core/volume.ts";
import { train, withTinyExperiment } from "./fixtures.ts";

Deno.test({
  name:
    "pleura train with train.total_minutes spent by stage 0 skips stage 1's training, keeps stage 0's weights and ends a valid run (scored with both stages fused)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTinyExperiment("pleura-budget-", async ({ config, runs }) => {
      // 1.2 s in all: stage 0 (no limit of its own, and more steps than
      // fit) stops on the budget, so nothing is left for stage 1.
      const output = await train(config, runs, [
        "train.hard_mining.stages=2",
        "train.max_steps=100000",
        "train.max_minutes=0",
        "train.total_minutes=0.02",
        "eval.stage_weights=[0.25, 0.75]",
        "eval.min_logit=-8",
      ]).output();
      const stderr = new TextDecoder().decode(output.stderr);
      assert.equal(output.code, 0, stderr.slice(-2000));
      assert.match(
        stderr,
        /Stage 1 starts with [\d.]+ of train\.total_minutes \(0\.02\) used: it keeps stage 0's weights without training/,
      );
      assert.match(
        stderr,
        /Held-out candidates: stages 0, 1 fused \(eval\.stage_weights \[0\.25, 0\.75\]\)/,
      );
      assert.match(
        stderr,
        /Training took [\d.]+ min \(stage 0 [\d.]+ \+ mining [\d.]+ \+ stage 1 0\.0\) of train\.total_minutes 0\.02/,
      );
      const store = openRunStore(runs);
      try {
        const [run] = store.listRuns();
        assert.equal(run.status, "done");
        const [first, second] = store.stages(run.id);
        assert.equal(first.summary.stoppedBy, "max_minutes");
        assert.ok((first.summary.steps as number) >= 1);
        assert.ok((first.summary.trainMinutes as number) >= 0.02);
        assert.equal(second.status, "done");
        assert.equal(second.summary.stoppedBy, "total_minutes");
        assert.equal(second.summary.steps, 0);
        assert.equal(second.summary.trainMinutes, 0);
        const runDir = store.runDir(run.id);
        assert.deepEqual(
          readdirSync(runDir).filter((f) => f.startsWith("checkpoint-s1")),
          [],
        );
        // Stage 1's model is stage 0's.
        assert.deepEqual(
          Deno.readFileSync(join(runDir, "model.stage1.onnx")),
          Deno.readFileSync(join(runDir, "model.stage0.onnx")),
        );
        assert.ok(existsSync(join(runDir, "model.onnx")));
        // The held-out candidates are the stages' own, fused.
        const stage0 = await readCandidatesCsv(
          join(runDir, "stage0", "candidates.csv"),
        );
        const stage1 = await readCandidatesCsv(
          join(runDir, "stage1", "candidates.csv"),
        );
        assert.ok(stage0.length > 0);
        const fused = fuseDetections([stage0, stage1], {
          weights: [0.25, 0.75],
          floor: -8,
          radiusMm: 4,
          maxKept: 100,
        });
        const order = (list: Detection[]) =>
          list.toSorted((a, b) =>
            a.seriesuid.localeCompare(b.seriesuid) || b.score - a.score
          );
        assert.deepEqual(
          order(await readCandidatesCsv(join(runDir, "candidates.csv"))),
          order(fused),
        );
      } finally {
        store.close();
      }
    });
  },
});
