import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadExperiment, PLUGIN_KINDS } from "../../core/mod.ts";
import { testRegistry } from "../testing/registry.ts";
import {
  blankExperiment,
  experimentPath,
  formModel,
  listExperimentFiles,
  saveExperiment,
  startFromFile,
  validateExperiment,
} from "./experiments.ts";

const registry = testRegistry();

async function withConfigs(body: (dir: string) => Promise<void> | void) {
  const root = await Deno.makeTempDir();
  const dir = join(root, "configs");
  mkdirSync(join(dir, "base"), { recursive: true });
  mkdirSync(join(dir, "ablations"), { recursive: true });
  try {
    await body(dir);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("formModel() describes every registered plugin and the three sections", () => {
  const model = formModel(registry);
  assert.deepEqual(model.kinds, PLUGIN_KINDS);
  for (const kind of PLUGIN_KINDS) {
    assert.deepEqual(model.plugins[kind].map((p) => p.id), registry.ids(kind));
  }
  const k = model.plugins.miner.find((p) => p.id === "topk")!.options
    .find((o) => o.name === "k")!;
  assert.equal(k.default, 2);
  assert.equal(k.minimum, 1);
  assert.equal("schema" in k, false);
  assert.ok(model.sections.data.some((o) => o.name === "dataset"));
  assert.ok(model.sections.eval.some((o) => o.name === "bootstrap"));
});

Deno.test("experimentPath() reads only YAML files inside configs/", () =>
  withConfigs((dir) => {
    writeFileSync(join(dir, "base", "a.yaml"), "name: a\n");
    writeFileSync(join(dir, "..", "outside.yaml"), "name: x\n");
    symlinkSync(
      join(dir, "..", "outside.yaml"),
      join(dir, "base", "link.yaml"),
    );
    assert.equal(
      experimentPath(dir, "base/a.yaml"),
      join(dir, "base", "a.yaml"),
    );
    for (
      const bad of [
        "../outside.yaml",
        "base/../../outside.yaml",
        "/etc/passwd",
        "base/link.yaml",
        "base/a.json",
        "./base/a.yaml",
        "base/missing.yaml",
      ]
    ) {
      assert.equal(experimentPath(dir, bad), undefined, bad);
    }
  }));

Deno.test("listExperimentFiles() lists YAML files and marks grids", () =>
  withConfigs((dir) => {
    writeFileSync(join(dir, "base", "reference.yaml"), "");
    writeFileSync(join(dir, "ablations", "miner.yaml"), "");
    writeFileSync(join(dir, "notes.txt"), "");
    assert.deepEqual(listExperimentFiles(dir), [
      { file: "ablations/miner.yaml", name: "miner", grid: true },
      { file: "base/reference.yaml", name: "reference", grid: false },
    ]);
    assert.deepEqual(listExperimentFiles(join(dir, "missing")), []);
  }));

Deno.test("validateExperiment() adds a file-name check to the CLI's issues", () => {
  const raw = blankExperiment(registry);
  const ok = validateExperiment(registry, raw);
  assert.equal(ok.ok, true);
  const bad = validateExperiment(registry, { ...raw, name: "../evil" });
  assert.equal(bad.ok, false);
  assert.deepEqual((bad as { issues: readonly unknown[] }).issues, [{
    path: "name",
    message: "Invalid name",
    expected:
      'letters, digits, "-" and "_" (at most 64; it names the saved file)',
    received: '"../evil"',
  }]);
});

Deno.test("saveExperiment() writes YAML that loadExperiment() resolves to the same experiment", () =>
  withConfigs(async (dir) => {
    const raw = { ...blankExperiment(registry), name: "round-trip" };
    const validation = validateExperiment(registry, raw);
    assert.ok(validation.ok);
    const saved = saveExperiment(dir, validation.resolved);
    assert.equal(saved.file, "dashboard/round-trip.yaml");
    const loaded = await loadExperiment(saved.path, registry);
    assert.deepEqual(loaded, validation.resolved);
    const start = startFromFile(registry, dir, saved.file)!;
    assert.deepEqual(start.issues, []);
    assert.equal(start.source, "configs/dashboard/round-trip.yaml");
    assert.equal(startFromFile(registry, dir, "../x.yaml"), undefined);
  }));

Deno.test("startFromFile() keeps an experiment that fails to resolve, with its issues", () =>
  withConfigs((dir) => {
    writeFileSync(
      join(dir, "base", "broken.yaml"),
      "model:\n  miner: { plugin: topq }\n",
    );
    const start = startFromFile(registry, dir, "base/broken.yaml")!;
    assert.ok(start.issues.some((i) => i.path === "model.miner.plugin"));
    assert.equal(
      (start.experiment.model as { miner: { plugin: string } }).miner.plugin,
      "topq",
    );
    writeFileSync(join(dir, "base", "bad.yaml"), "model: [\n");
    const bad = startFromFile(registry, dir, "base/bad.yaml")!;
    assert.match(bad.issues[0].message, /^Invalid YAML/);
  }));
