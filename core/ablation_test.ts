import assert from "node:assert/strict";
import { join } from "node:path";
import { combinations, loadGrid, variantLabel } from "./ablation.ts";
import { ConfigError } from "./errors.ts";
import { optionsOnlyRegistry as registry } from "./testing/options_only_registry.ts";

const BASE = `
name: cpu
model:
  segmenter: { plugin: lung_reference }
  backbone: { plugin: resunet, options: { preset: small } }
  anchor_head: { plugin: rpn3d }
  miner: { plugin: topk, options: { k: 2 } }
  loss: { plugin: balanced }
`;

async function withGrid(
  grid: string,
  fn: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pleura-grid-" });
  try {
    await Deno.mkdir(join(dir, "base"));
    await Deno.mkdir(join(dir, "ablations"));
    await Deno.writeTextFile(join(dir, "base/cpu.yaml"), BASE);
    await Deno.writeTextFile(join(dir, "ablations/miner.yaml"), grid);
    await fn(join(dir, "ablations/miner.yaml"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("combinations() takes the cartesian product, first key slowest", () => {
  assert.deepEqual(combinations({ a: [1, 2], b: ["x", "y"] }), [
    { a: 1, b: "x" },
    { a: 1, b: "y" },
    { a: 2, b: "x" },
    { a: 2, b: "y" },
  ]);
  assert.deepEqual(combinations({}), [{}]);
});

Deno.test("variantLabel() names slot switches and option values", () => {
  assert.equal(
    variantLabel({
      "model.miner": { plugin: "topk", options: { k: 3 } },
      "train.hard_mining.stages": 2,
    }),
    "miner=topk(k=3) stages=2",
  );
});

Deno.test("loadGrid() resolves every variant and recognises the base among them", async () => {
  await withGrid(
    `
base: ../base/cpu.yaml
set: [train.max_steps=10]
vary:
  model.miner:
    - { plugin: topk, options: { k: 2 } }
    - { plugin: topk, options: { k: 3 } }
    - { plugin: random }
  model.loss:
    - { plugin: balanced }
    - { plugin: weighted, options: { lambda: 2 } }
`,
    async (path) => {
      const grid = await loadGrid(path, registry);
      assert.equal(grid.name, "miner");
      assert.equal(grid.variants.length, 6);
      assert.equal(grid.base.train.max_steps, 10);
      // topk k=2 with balanced is the base itself.
      const same = grid.variants.filter((v) => v.hash === grid.baseHash);
      assert.deepEqual(same.map((v) => v.label), [
        "miner=topk(k=2) loss=balanced",
      ]);
      const random = grid.variants.find((v) =>
        v.label === "miner=random loss=weighted(lambda=2)"
      )!;
      // Switching plugin replaces the slot: random gets its own defaults only.
      assert.deepEqual(random.experiment.model.miner, {
        plugin: "random",
        options: { k: 2 },
      });
      assert.equal(random.experiment.model.loss.options.lambda, 2);
      assert.equal(random.experiment.train.max_steps, 10);
      assert.equal(new Set(grid.variants.map((v) => v.hash)).size, 6);
    },
  );
});

Deno.test("loadGrid() reports problems of every variant, labelled", async () => {
  await withGrid(
    `
base: ../base/cpu.yaml
vary:
  model.miner:
    - { plugin: topk, options: { k: 0 } }
    - { plugin: randon }
  bogus.path: [1]
`,
    async (path) => {
      await assert.rejects(
        () => loadGrid(path, registry),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.match(
            error.message,
            /vary\.bogus\.path: Cannot vary this path/,
          );
          return true;
        },
      );
    },
  );
  await withGrid(
    `
base: ../base/cpu.yaml
vary:
  model.miner:
    - { plugin: topk, options: { k: 0 } }
    - { plugin: randon }
`,
    async (path) => {
      await assert.rejects(
        () => loadGrid(path, registry),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          const paths = error.issues.map((i) => i.path);
          assert.deepEqual(paths, [
            "[miner=topk(k=0)] model.miner.options.k",
            "[miner=randon] model.miner.plugin",
          ]);
          assert.deepEqual(error.issues[1].suggestions, ["random"]);
          return true;
        },
      );
    },
  );
});
