import assert from "node:assert/strict";
import { loadExperiment } from "../experiment.ts";
import { createRegistry } from "../registry.ts";
import { plugins } from "../../plugins/mod.ts";
import { stageSettings } from "./run.ts";

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
