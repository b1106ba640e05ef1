import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import type { Backbone, BackboneNetwork } from "../backbone.ts";
import { createEngine } from "../engine/mod.ts";
import { createRng } from "../random.ts";
import {
  BACKBONE_CHECKS,
  type BackboneContractSetup,
  backboneInputs,
} from "./backbone_contract.ts";
import { createToyBackbone } from "./toy_backbone.ts";

/** The toy with its network wrapped by `wrap`. */
function broken(
  change: (
    network: BackboneNetwork,
    engine: Parameters<Backbone["build"]>[0],
  ) => Partial<BackboneNetwork>,
  backboneChange: Partial<Backbone> = {},
): BackboneContractSetup {
  return {
    sizes: [[4, 4, 4]],
    create: () => {
      const toy = createToyBackbone();
      return {
        ...toy,
        build(engine, rng) {
          const network = toy.build(engine, rng);
          return { ...network, ...change(network, engine) };
        },
        ...backboneChange,
      };
    },
  };
}

const cases: { flaw: string; check: string; setup: BackboneContractSetup }[] = [
  {
    flaw: "publishes the wrong channel count",
    check: "outputs [batch",
    setup: broken(() => ({}), { output: { channels: 9, stride: 4 } }),
  },
  {
    flaw: "miscounts its parameters",
    check: "counts() agrees",
    setup: broken(() => ({}), {
      counts: () => ({ parameters: 1, weightedLayers: 1, caffeLayers: 6 }),
    }),
  },
  {
    flaw: "ignores the seed",
    check: "initialises deterministically",
    setup: (() => {
      const toy = createToyBackbone();
      let calls = 0;
      return {
        sizes: [[4, 4, 4]],
        create: () => ({
          ...toy,
          build: (engine, _rng) => toy.build(engine, createRng(++calls)),
        }),
      } satisfies BackboneContractSetup;
    })(),
  },
  {
    flaw: "loses weights in setWeights",
    check: "getWeights() and setWeights() round-trip",
    setup: broken(() => ({ setWeights: () => {} })),
  },
  {
    flaw: "accepts a wrong input",
    check: "apply() throws a ShapeError",
    setup: broken((network, engine) => ({
      apply: (image, coord, training) => {
        try {
          return network.apply(image, coord, training);
        } catch {
          return engine.tf.zeros([1, 1, 1, 1, 5]) as tfTypes.Tensor5D;
        }
      },
    })),
  },
  {
    flaw: "leaks a tensor per call",
    check: "leaks no tensors",
    setup: broken((network, engine) => ({
      apply: (image, coord, training) => {
        engine.tf.keep(engine.tf.zeros([1]));
        return network.apply(image, coord, training);
      },
    })),
  },
];

Deno.test("the backbone contract passes the toy backbone and catches each flaw", async () => {
  const engine = await createEngine("tfjs-cpu");
  const sound: BackboneContractSetup = {
    sizes: [[4, 4, 4]],
    create: () => createToyBackbone(),
  };
  for (const check of BACKBONE_CHECKS) check.run(sound, engine);
  for (const { flaw, check, setup } of cases) {
    const target = BACKBONE_CHECKS.find((c) => c.name.startsWith(check));
    assert.ok(target, `no check named "${check}…"`);
    assert.throws(
      () => target.run(setup, engine),
      assert.AssertionError,
      `a backbone that ${flaw} passed "${target.name}"`,
    );
  }
  engine.dispose();
});

Deno.test("backboneInputs() makes the coord grid from −0.5 to 0.5 per axis", async () => {
  const engine = await createEngine("tfjs-cpu");
  const { image, coord } = backboneInputs(engine, 4, 1, [4, 8, 12], 0);
  assert.deepEqual(image.shape, [1, 4, 8, 12, 1]);
  assert.deepEqual(coord.shape, [1, 1, 2, 3, 3]);
  assert.deepEqual([...coord.dataSync()], [
    0,
    -0.5,
    -0.5,
    0,
    -0.5,
    0,
    0,
    -0.5,
    0.5,
    0,
    0.5,
    -0.5,
    0,
    0.5,
    0,
    0,
    0.5,
    0.5,
  ]);
  engine.tf.dispose([image, coord]);
  engine.dispose();
});
