import assert from "node:assert/strict";
import { backboneContract } from "../../core/testing/backbone_contract.ts";
import { testPluginContext } from "../../core/testing/plugin_context.ts";
import { resunet } from "./mod.ts";

/** A tiny resunet: every kind of block (shortcut and identity) at 1–5 channels. */
const TINY = {
  pre_channels: 2,
  stage_channels: [3, 4, 4, 4],
  stage_blocks: [1, 1, 1, 1],
  back_channels: [4, 5],
  back_blocks: [1, 1],
};

backboneContract("resunet", {
  engines: ["tfjs-cpu", "cpu"],
  create: () =>
    resunet.create(resunet.options.parse(TINY), testPluginContext()),
});

// The blob channel's backbone: the same network with a two-channel image.
backboneContract("resunet (input_channels 2)", {
  engines: ["cpu"],
  create: () =>
    resunet.create(
      resunet.options.parse({ ...TINY, input_channels: 2 }),
      testPluginContext(),
    ),
});

Deno.test("resunet with input_channels 2 has one more input channel in preBlock.conv1 only", () => {
  const create = (input_channels: number) =>
    resunet.create(
      resunet.options.parse({ preset: "small", input_channels }),
      testPluginContext(),
    );
  const one = create(1), two = create(2);
  assert.equal(one.inputChannels, 1);
  assert.equal(two.inputChannels, 2);
  // 3³ filter taps × 12 preBlock channels for the extra input channel.
  assert.equal(
    two.counts().parameters - one.counts().parameters,
    27 * 12,
  );
});

Deno.test("resunet publishes 128 channels at stride 4, max stride 16, and the reference counts", () => {
  const backbone = resunet.create(
    resunet.options.parse({}),
    testPluginContext(),
  );
  assert.deepEqual(backbone.output, { channels: 128, stride: 4 });
  assert.equal(backbone.maxStride, 16);
  assert.deepEqual(backbone.counts(), {
    parameters: 5_374_392,
    weightedLayers: 40,
    caffeLayers: 140,
  });
});

Deno.test("resunet's small preset publishes 64 channels", () => {
  const backbone = resunet.create(
    resunet.options.parse({ preset: "small" }),
    testPluginContext(),
  );
  assert.equal(backbone.output.channels, 64);
  assert.equal(backbone.counts().parameters, 1_348_524);
});
