import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, formatConfigIssue } from "./errors.ts";
import {
  canonicalJson,
  closest,
  experimentHash,
  loadExperiment,
  mergeExperiment,
  parseSets,
  resolveExperiment,
  storedExperimentInput,
} from "./experiment.ts";
import { optionsOnlyRegistry as registry } from "./testing/options_only_registry.ts";

const BASE = `
name: base
model:
  segmenter: { plugin: lung_reference }
  backbone: { plugin: resunet, options: { preset: resunet150 } }
  anchor_head: { plugin: rpn3d }
  miner: { plugin: topk, options: { k: 2, per_sample: false } }
  loss: { plugin: balanced }
train:
  engine: cpu
  lr_milestones: [0.5, 0.8]
`;

async function withFiles(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pleura-exp-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.mkdir(join(dir, name, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, name), text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("loadExperiment() fills defaults from section and plugin schemas", async () => {
  await withFiles({ "base/base.yaml": BASE }, async (dir) => {
    const experiment = await loadExperiment(
      join(dir, "base/base.yaml"),
      registry,
    );
    assert.equal(experiment.name, "base");
    assert.deepEqual(experiment.model.miner, {
      plugin: "topk",
      options: { k: 2, per_sample: false },
    });
    assert.deepEqual(experiment.model.segmenter.options, {
      threshold_hu: -600,
    });
    assert.equal(experiment.train.crop_size, 128);
    assert.equal(experiment.eval.side, 144);
    assert.deepEqual(experiment.data.train_subsets, [0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

Deno.test("loadExperiment() merges extends deeply, replaces arrays and switched slots", async () => {
  await withFiles({
    "base/base.yaml": BASE,
    "ablations/child.yaml": `
extends: ../base/base.yaml
model:
  miner: { plugin: random, options: { k: 5 } }
  backbone: { options: { preset: small } }
train:
  lr_milestones: [0.9]
  lr_factors: [0.5]
`,
  }, async (dir) => {
    const experiment = await loadExperiment(
      join(dir, "ablations/child.yaml"),
      registry,
    );
    // The name is not inherited: it defaults to the child's file stem.
    assert.equal(experiment.name, "child");
    // The switched slot is replaced whole: per_sample does not leak into random.
    assert.deepEqual(experiment.model.miner, {
      plugin: "random",
      options: { k: 5 },
    });
    // The kept slot merges its options.
    assert.deepEqual(experiment.model.backbone.options, {
      preset: "small",
      stride: 4,
    });
    assert.deepEqual(experiment.train.lr_milestones, [0.9]);
    assert.equal(experiment.train.engine, "cpu");
  });
});

Deno.test("loadExperiment() applies --set overrides parsed as YAML values", async () => {
  await withFiles({ "e.yaml": BASE }, async (dir) => {
    const experiment = await loadExperiment(join(dir, "e.yaml"), registry, {
      set: [
        "model.miner.options.k=3",
        "train.augmentation.flip=false",
        "data.test_subsets=[4, 5]",
        "name=renamed",
      ],
    });
    assert.equal(experiment.model.miner.options.k, 3);
    assert.equal(experiment.train.augmentation.flip, false);
    assert.deepEqual(experiment.data.test_subsets, [4, 5]);
    assert.equal(experiment.name, "renamed");
  });
});

Deno.test("loadExperiment() reports every problem at once with path, plugin and values", async () => {
  await withFiles({
    "bad.yaml": `
model:
  segmenter: { plugin: lung_referense }
  backbone: { plugin: resunet, options: { preset: huge } }
  anchor_head: { plugin: rpn3d }
  miner: { plugin: topk, options: { k: "three", kk: 1 } }
  loss: { plugin: balanced }
train:
  crop_size: 100
  lr: -1
trian: {}
`,
  }, async (dir) => {
    const error = await configError(
      loadExperiment(join(dir, "bad.yaml"), registry),
    );
    const byPath = new Map(error.issues.map((issue) => [issue.path, issue]));
    const unknown = byPath.get("model.segmenter.plugin")!;
    assert.match(unknown.message, /Unknown segmenter plugin "lung_referense"/);
    assert.deepEqual(unknown.suggestions, ["lung_reference"]);
    const k = byPath.get("model.miner.options.k")!;
    assert.equal(k.pluginId, "topk");
    assert.equal(k.expected, "number");
    assert.equal(k.received, '"three"');
    assert.match(byPath.get("model.miner.options")!.message, /"kk"/);
    assert.equal(
      byPath.get("model.backbone.options.preset")!.received,
      '"huge"',
    );
    assert.equal(byPath.get("train.lr")!.expected, "> 0");
    assert.deepEqual(byPath.get("trian")!.suggestions, ["train"]);
    // The message lists each problem on its own line, naming the file.
    assert.match(error.message, /bad\.yaml/);
    assert.match(
      error.message,
      /model\.miner\.options\.k \(plugin "topk"\): Invalid type, expected number, received "three"/,
    );
  });
});

Deno.test("loadExperiment() runs cross-component checks", async () => {
  await withFiles({ "e.yaml": BASE }, async (dir) => {
    const error = await configError(
      loadExperiment(join(dir, "e.yaml"), registry, {
        set: [
          "train.crop_size=72",
          "model.anchor_head.options.stride=8",
          "eval.margin=20",
          "train.augmentation.noise=[4, 1]",
          "eval.stage_weights=[0.5, 0.5]",
        ],
      }),
    );
    const paths = error.issues.map((issue) => issue.path).sort();
    assert.deepEqual(paths, [
      "eval.margin",
      "eval.stage_weights",
      "model.anchor_head.options.stride",
      "train.augmentation.noise",
      "train.crop_size",
    ]);
    assert.match(
      formatConfigIssue(
        error.issues.find((issue) =>
          issue.path === "train.augmentation.noise"
        )!,
      ),
      /Range is reversed.*expected \[low, high\] with low <= high, received \[4,1\]/,
    );
    // BASE has one stage (the default), so two weights are one too many.
    assert.match(
      formatConfigIssue(
        error.issues.find((issue) => issue.path === "eval.stage_weights")!,
      ),
      /One weight is needed per hard-mining stage.*expected \[\] or 1 weights ≥ 0, not all 0 \(train\.hard_mining\.stages is 1\), received \[0\.5,0\.5\]/,
    );
    assert.match(
      formatConfigIssue(
        error.issues.find((issue) => issue.path === "train.crop_size")!,
      ),
      /expected a multiple of 16, received 72/,
    );
  });
});

Deno.test("loadExperiment() checks the blob channel against the backbone's input and copy-paste", async () => {
  await withFiles({ "e.yaml": BASE }, async (dir) => {
    const path = join(dir, "e.yaml");
    const error = await configError(
      loadExperiment(path, registry, {
        set: ["data.blob_channel=true", "train.augmentation.paste=0.3"],
      }),
    );
    assert.deepEqual(error.issues.map((issue) => issue.path).sort(), [
      "model.backbone.options.input_channels",
      "train.augmentation.paste",
    ]);
    assert.match(
      formatConfigIssue(
        error.issues.find((issue) =>
          issue.path === "model.backbone.options.input_channels"
        )!,
      ),
      /image input has 1 channel, but data\.blob_channel is true.*expected 2, received 1/,
    );
    const both = await loadExperiment(path, registry, {
      set: [
        "data.blob_channel=true",
        "model.backbone.options.input_channels=2",
      ],
    });
    assert.equal(both.data.blob_channel, true);
    // Two channels without the blob channel is the opposite mismatch.
    const extra = await configError(
      loadExperiment(path, registry, {
        set: ["model.backbone.options.input_channels=2"],
      }),
    );
    assert.match(
      formatConfigIssue(extra.issues[0]),
      /image input has 2 channels, but data\.blob_channel is false.*expected 1, received 2/,
    );
    const dropout = await configError(
      loadExperiment(path, registry, {
        set: ["train.augmentation.blob_dropout=0.5"],
      }),
    );
    assert.deepEqual(dropout.issues.map((issue) => issue.path), [
      "train.augmentation.blob_dropout",
    ]);
  });
});

Deno.test("loadExperiment() names the file and line of invalid YAML", async () => {
  await withFiles(
    { "broken.yaml": "model:\n  miner: [unclosed\n" },
    async (dir) => {
      const error = await configError(
        loadExperiment(join(dir, "broken.yaml"), registry),
      );
      assert.match(error.message, /broken\.yaml/);
      assert.match(error.message, /Invalid YAML at line \d+/);
    },
  );
});

Deno.test("loadExperiment() rejects extends cycles and missing parents", async () => {
  await withFiles({
    "a.yaml": "extends: b.yaml\n",
    "b.yaml": "extends: a.yaml\n",
    "c.yaml": "extends: missing.yaml\n",
  }, async (dir) => {
    const cycle = await configError(
      loadExperiment(join(dir, "a.yaml"), registry),
    );
    assert.match(cycle.message, /Cycle in extends/);
    const missing = await configError(
      loadExperiment(join(dir, "c.yaml"), registry),
    );
    assert.match(missing.message, /extends: Cannot read file/);
  });
});

Deno.test("parseSets() rejects overrides without a path", () => {
  assert.throws(
    () => parseSets(["=3", "model..k=1"]),
    (error: unknown) =>
      error instanceof ConfigError && error.issues.length === 2 &&
      /expected path=value/.test(error.message),
  );
});

Deno.test("mergeExperiment() does not mutate its inputs", () => {
  const base = { model: { miner: { plugin: "topk", options: { k: 2 } } } };
  const copy = structuredClone(base);
  mergeExperiment(base, { model: { miner: { options: { k: 9 } } } });
  assert.deepEqual(base, copy);
});

Deno.test("canonicalJson() sorts keys so equal experiments hash equally", async () => {
  assert.equal(
    canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }),
    '{"a":[2,{"c":4,"d":3}],"b":1}',
  );
  await withFiles({
    "a.yaml": BASE,
    "b.yaml": BASE.replace(
      "  engine: cpu",
      "  engine: cpu\n  seed: 0",
    ),
  }, async (dir) => {
    const a = await loadExperiment(join(dir, "a.yaml"), registry, {
      set: ["name=x"],
    });
    const b = await loadExperiment(join(dir, "b.yaml"), registry, {
      set: ["name=x"],
    });
    assert.equal(experimentHash(a), experimentHash(b));
    const c = await loadExperiment(join(dir, "a.yaml"), registry, {
      set: ["name=x", "train.seed=1"],
    });
    assert.notEqual(experimentHash(a), experimentHash(c));
    assert.match(experimentHash(a), /^[0-9a-f]{64}$/);
  });
});

Deno.test("storedExperimentInput() re-resolves a run recorded with a retired option; a file that sets it is rejected", async () => {
  await withFiles({ "a.yaml": BASE }, async (dir) => {
    const resolved = await loadExperiment(join(dir, "a.yaml"), registry);
    // A run stored before train.prefetch was retired: the canonical JSON
    // of the resolved experiment with the option as it was then.
    const stored = JSON.parse(canonicalJson(resolved));
    stored.train.prefetch = 2;
    const before = structuredClone(stored);
    const again = resolveExperiment(storedExperimentInput(stored), registry);
    assert.deepEqual(stored, before);
    assert.equal(experimentHash(again), experimentHash(resolved));

    await assert.rejects(
      () =>
        loadExperiment(join(dir, "a.yaml"), registry, {
          set: ["train.prefetch=4"],
        }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.some((i) =>
          i.path === "train" && i.message.includes('"prefetch"')
        ),
    );
  });
});

Deno.test("closest() suggests ids within a small edit distance", () => {
  assert.deepEqual(closest("topK", ["topk", "random", "all"]), ["topk"]);
  assert.deepEqual(closest("zzzzzz", ["topk", "random"]), []);
});
