import assert from "node:assert/strict";
import { loadExperiment } from "../experiment.ts";
import { createRegistry } from "../registry.ts";
import { plugins } from "../../plugins/mod.ts";
import { stageSettings, trainingMinutes } from "./run.ts";

const registry = createRegistry(plugins);

Deno.test("stageSettings() gives later stages stage_minutes, the epoch and lr factors; null stage_minutes keeps max_minutes", async () => {
  const experiment = await loadExperiment("configs/base/cpu.yaml", registry, {
    set: [
      "train.max_minutes=21",
      "train.epochs=16",
      "train.lr=0.001",
      "train.hard_mining.stages=3",
      "train.hard_mining.stage_minutes=11.5",
      "train.hard_mining.stage_epochs_factor=0.5",
      "train.hard_mining.stage_lr_factor=0.4",
    ],
  });
  const [first, second, third] = [0, 1, 2].map((stage) =>
    stageSettings(experiment, stage, 4)
  );
  assert.deepEqual(
    [first.maxMinutes, first.epochs, first.lr],
    [21, 16, 0.001],
  );
  for (const later of [second, third]) {
    assert.equal(later.maxMinutes, 11.5);
    assert.equal(later.epochs, 8);
    assert.ok(Math.abs(later.lr - 0.0004) < 1e-12);
  }

  const unset = await loadExperiment("configs/base/cpu.yaml", registry, {
    set: ["train.max_minutes=21", "train.hard_mining.stage_minutes=null"],
  });
  assert.equal(stageSettings(unset, 1, 4).maxMinutes, 21);
});

Deno.test("stageSettings() caps a stage at what train.total_minutes has left, and a spent budget stops it before its first step", async () => {
  const experiment = await loadExperiment("configs/base/cpu.yaml", registry, {
    set: [
      "train.max_minutes=26",
      "train.hard_mining.stage_minutes=null",
      "train.total_minutes=60",
    ],
  });
  // Stage 0 keeps its own limit while the budget is larger.
  assert.equal(stageSettings(experiment, 0, 4, 0).maxMinutes, 26);
  // 26.2 min of stage 0 and 8.3 of mining leave 25.5 < 26.
  assert.ok(
    Math.abs(stageSettings(experiment, 1, 4, 26.2 + 8.3).maxMinutes - 25.5) <
      1e-9,
  );
  // Nothing left: a positive limit below any elapsed time (0 would mean none).
  const spent = stageSettings(experiment, 1, 4, 61).maxMinutes;
  assert.ok(spent > 0 && spent < 1e-300);
  // Without a stage limit the budget alone bounds the stage.
  const unbounded = await loadExperiment("configs/base/cpu.yaml", registry, {
    set: ["train.max_minutes=0", "train.total_minutes=45"],
  });
  assert.equal(stageSettings(unbounded, 0, 4, 0).maxMinutes, 45);
  assert.equal(stageSettings(unbounded, 1, 4, 30).maxMinutes, 15);
  // No budget: the stage limits as written, whatever was used.
  const none = await loadExperiment("configs/base/cpu.yaml", registry, {
    set: ["train.max_minutes=26", "train.total_minutes=0"],
  });
  assert.equal(stageSettings(none, 1, 4, 500).maxMinutes, 26);
});

Deno.test("trainingMinutes() adds the earlier stages' training and mining minutes and skips missing or non-finite ones", () => {
  const stages = [
    {
      index: 0,
      label: "stage 0",
      status: "done" as const,
      summary: { trainMinutes: 26.5, mining: {} },
    },
    {
      index: 1,
      label: "stage 1",
      status: "done" as const,
      summary: { trainMinutes: 20, mining: { minutes: 8.25 } },
    },
    {
      index: 2,
      label: "stage 2",
      status: "running" as const,
      summary: { mining: { minutes: 7 } },
    },
    {
      index: 3,
      label: "stage 3",
      status: "done" as const,
      summary: { trainMinutes: "12", mining: { minutes: NaN } },
    },
  ];
  assert.equal(trainingMinutes(stages, 0), 0);
  assert.equal(trainingMinutes(stages, 1), 26.5);
  assert.equal(trainingMinutes(stages, 2), 26.5 + 20 + 8.25);
  assert.equal(trainingMinutes(stages, 3), 26.5 + 20 + 8.25 + 7);
  assert.equal(trainingMinutes(stages, Infinity), 26.5 + 20 + 8.25 + 7);
});
