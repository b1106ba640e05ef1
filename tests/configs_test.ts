import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { loadGrid } from "../core/ablation.ts";
import { experimentHash, loadExperiment } from "../core/experiment.ts";
import { createRegistry } from "../core/registry.ts";
import { REPO_ROOT } from "../core/testing/shared_data.ts";
import { plugins } from "../plugins/mod.ts";

const registry = createRegistry(plugins);
const CONFIGS = join(REPO_ROOT, "configs");

function yamlFiles(dir: string): string[] {
  return readdirSync(join(CONFIGS, dir))
    .filter((name) => name.endsWith(".yaml"))
    .map((name) => join(CONFIGS, dir, name));
}

Deno.test("every experiment in configs/base resolves with the registered plugins", async () => {
  const files = yamlFiles("base");
  assert.ok(files.length >= 2, "expected the reference and the CPU preset");
  for (const file of files) {
    const experiment = await loadExperiment(file, registry);
    assert.match(experimentHash(experiment), /^[0-9a-f]{64}$/, file);
    for (const slot of Object.values(experiment.model)) {
      assert.ok(registry.all().some((d) => d.id === slot.plugin), file);
    }
  }
});

Deno.test("every ablation grid in configs/ablations resolves all its variants", async () => {
  const files = yamlFiles("ablations");
  for (const file of files) {
    const grid = await loadGrid(file, registry);
    assert.ok(grid.variants.length >= 2, `${file}: at least two variants`);
    assert.equal(
      new Set(grid.variants.map((v) => v.hash)).size,
      grid.variants.length,
      `${file}: variants must differ`,
    );
  }
});

Deno.test("the reference experiment is the published design", async () => {
  const reference = await loadExperiment(
    join(CONFIGS, "base/reference.yaml"),
    registry,
  );
  assert.equal(reference.model.backbone.options.preset, "resunet150");
  assert.deepEqual(reference.model.anchor_head.options.anchors_mm, [
    10,
    30,
    60,
  ]);
  assert.equal(reference.model.miner.plugin, "topk");
  assert.equal(reference.model.miner.options.k, 2);
  assert.equal(reference.train.crop_size, 128);
  assert.equal(reference.eval.side, 144);
  assert.equal(reference.eval.margin, 32);
  assert.equal(reference.train.hard_mining.stages, 3);
});
