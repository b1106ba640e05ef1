import assert from "node:assert/strict";
import { join } from "node:path";
import { formatAblationTable } from "../core/cli/ablate.ts";
import type { RunRecord } from "../core/run_store.ts";
import { openRunStore } from "../core/run_store_sqlite.ts";
import { writeSyntheticDataset } from "../core/synth/dataset.ts";
import { pleuraCommand } from "./fixtures.ts";

Deno.test("formatAblationTable() aligns CPM, CI and the paired difference per variant", () => {
  const run = (id: string, cpm?: number, ci?: [number, number]) =>
    ({ id, cpm, cpmCi: ci }) as unknown as RunRecord;
  const lines = formatAblationTable([
    { label: "base", run: run("r1", 0.8123, [0.7, 0.9]) },
    {
      label: "miner=random(k=2)",
      run: run("r2", 0.75, [0.61, 0.84]),
      delta: { value: -0.0623, ci: [-0.12, -0.01], pValue: 0.0312 },
    },
    { label: "miner=topk(k=3)", run: run("r3") },
  ]);
  assert.deepEqual(lines, [
    "variant            run  CPM    95% CI       ΔCPM vs base  95% CI         p",
    "base               r1   0.812  0.700–0.900  (base)",
    "miner=random(k=2)  r2   0.750  0.610–0.840  -0.062        -0.120…-0.010  0.031",
    "miner=topk(k=3)    r3   —      —            —",
  ]);
});

Deno.test({
  name:
    "pleura ablate runs the miner grid (two hard-mining stages each) end to end and prints the comparison table",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "pleura-ablate-" });
    try {
      await writeSyntheticDataset(join(dir, "data"), {
        scans: 5,
        seed: 5,
        shape: { size: 96, slices: 40 },
        subsets: 5,
      });
      const sets = [
        `data.dataset=${join(dir, "data")}`,
        "data.test_dataset=null",
        // The grid's first variant (top 2) as the base, so three runs.
        "model.miner.options.k=2",
        `data.cache_dir=${join(dir, "cache")}`,
        "data.train_subsets=[0, 1, 2, 3]",
        "data.test_subsets=[4]",
        "model.backbone.options.pre_channels=4",
        "model.backbone.options.stage_channels=[4, 4, 4, 4]",
        "model.backbone.options.stage_blocks=[1, 1, 1, 1]",
        "model.backbone.options.back_channels=[4, 8]",
        "model.backbone.options.back_blocks=[1, 1]",
        "train.crop_size=32",
        "train.max_steps=2",
        "train.max_minutes=0",
        "train.lr=0.01",
        "train.hard_mining.stages=2",
        "train.hard_mining.stage_lr_factor=0.25",
        "eval.side=64",
        "eval.margin=16",
        "eval.bootstrap=0",
      ].flatMap((s) => ["--set", s]);
      const runs = join(dir, "runs");
      const output = await pleuraCommand(
        ["ablate", "configs/ablations/miner.yaml", "--runs", runs, ...sets],
        "piped",
      ).output();
      const stdout = new TextDecoder().decode(output.stdout);
      assert.equal(
        output.code,
        0,
        new TextDecoder().decode(output.stderr).slice(-2000),
      );
      const lines = stdout.trim().split("\n");
      assert.match(lines[0], /^variant\s+run\s+CPM\s+95% CI\s+ΔCPM vs base/);
      assert.deepEqual(lines.slice(1).map((l) => l.split(/\s{2,}/)[0]), [
        "base",
        "miner=topk(k=3)",
        "miner=random(k=2)",
      ]);
      const store = openRunStore(runs);
      try {
        const [ablation] = store.listAblations();
        assert.equal(ablation.name, "miner");
        const members = store.listRuns({ ablationId: ablation.id });
        assert.equal(members.length, 3);
        assert.ok(members.every((r) => r.status === "done"));
        assert.ok(members.some((r) => r.id === ablation.baseRunId));
        for (const run of members) {
          // Both stages are recorded, stage 1 with what stage 0 mined.
          const stages = store.stages(run.id);
          assert.deepEqual(stages.map((s) => [s.index, s.status]), [
            [0, "done"],
            [1, "done"],
          ]);
          const mining = store.getArtifact(run.id, "mining.stage1") as {
            summary: { scans: number; nodules: number };
          };
          assert.equal(mining.summary.scans, 4);
          assert.ok(mining.summary.nodules > 0);
          // Each stage records its training minutes, the mining its own,
          // which count against train.total_minutes.
          for (const s of stages) {
            const minutes = s.summary.trainMinutes as number;
            assert.ok(minutes > 0 && minutes < 10, `${minutes}`);
          }
          const miningMinutes = (stages[1].summary.mining as {
            minutes: number;
          }).minutes;
          assert.ok(miningMinutes > 0 && miningMinutes < 10);
          // Stage 1 fine-tunes at lr · stage_lr_factor, without warm-up.
          const lr = store.metrics(run.id).filter((m) =>
            m.name === "lr" && m.stage === 1
          );
          assert.equal(lr.length, 2);
          assert.ok(
            Math.abs(lr[0].value - 0.01 * 0.25) < 1e-12,
            `${lr[0].value}`,
          );
        }
      } finally {
        store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
