import assert from "node:assert/strict";
import { createEngine } from "../engine/mod.ts";
import { createRng } from "../random.ts";
import { backboneContract, backboneInputs } from "./backbone_contract.ts";
import { createToyBackbone } from "./toy_backbone.ts";

backboneContract("toy backbone", {
  create: () => createToyBackbone({ channels: 2 }),
  sizes: [[4, 4, 4], [8, 4, 12]],
});

Deno.test("createToyBackbone() pools the ReLU'd conv by 4 and appends the coord grid", async () => {
  const engine = await createEngine("tfjs-cpu");
  const backbone = createToyBackbone({ channels: 1 });
  const network = backbone.build(engine, createRng(0));
  const weights = network.getWeights();
  // A centre-tap filter of 1 and bias 0: conv = identity.
  const filter = new Float32Array(27);
  filter[13] = 1;
  weights.set("filter", { shape: [3, 3, 3, 1, 1], data: filter });
  weights.set("bias", { shape: [1], data: new Float32Array([0]) });
  network.setWeights(weights);
  const { image, coord } = backboneInputs(engine, 4, 1, [4, 4, 8], 1);
  const out = network.apply(image, coord, false);
  assert.deepEqual(out.shape, [1, 1, 1, 2, 4]);
  const values = image.dataSync();
  const max = (x0: number) => {
    let m = 0; // ReLU floor
    for (let z = 0; z < 4; z++) {
      for (let y = 0; y < 4; y++) {
        for (let x = x0; x < x0 + 4; x++) {
          m = Math.max(m, values[(z * 4 + y) * 8 + x]);
        }
      }
    }
    // eval BN with mean 0, var 1: x / √(1 + 1e-5)
    return m / Math.sqrt(1 + 1e-5);
  };
  const got = out.dataSync();
  assert.ok(Math.abs(got[0] - max(0)) < 1e-6);
  assert.ok(Math.abs(got[4] - max(4)) < 1e-6);
  assert.deepEqual([...got.slice(1, 4)], [0, 0, -0.5]);
  assert.deepEqual([...got.slice(5, 8)], [0, 0, 0.5]);
  engine.tf.dispose([image, coord, out]);
  network.dispose();
  engine.dispose();
});
