import assert from "node:assert/strict";
import { PRESETS } from "./architecture.ts";
import { architectureFromOptions, resunetOptions } from "./options.ts";

Deno.test("resunetOptions defaults to the reference preset with PyTorch settings", () => {
  const options = resunetOptions.parse({});
  assert.equal(options.preset, "resunet150");
  assert.equal(options.dropout, 0.5);
  assert.equal(options.dropout_mode, "channel");
  assert.equal(options.bn_affine, true);
  assert.equal(options.conv_bias, true);
  assert.equal(options.bn_momentum, 0.1);
  assert.equal(options.bn_epsilon, 1e-5);
  assert.equal(options.input_channels, 1);
  const arch = architectureFromOptions(options);
  assert.deepEqual(arch, {
    ...PRESETS.resunet150,
    bnAffine: true,
    convBias: true,
    dropout: 0.5,
    inputChannels: 1,
  });
});

Deno.test("architectureFromOptions() applies overrides on top of the preset", () => {
  const arch = architectureFromOptions(resunetOptions.parse({
    preset: "small",
    stage_blocks: [1, 1, 1, 1],
    back_channels: [8, 16],
    bn_affine: false,
  }));
  assert.equal(arch.preChannels, 12);
  assert.deepEqual(arch.stageChannels, [16, 32, 32, 32]);
  assert.deepEqual(arch.stageBlocks, [1, 1, 1, 1]);
  assert.deepEqual(arch.backChannels, [8, 16]);
  assert.deepEqual(arch.backBlocks, [3, 3]);
  assert.equal(arch.bnAffine, false);
});

Deno.test("resunetOptions rejects bad widths, lengths and rates with their field", () => {
  const issues = (input: unknown) => {
    const result = resunetOptions.safeParse(input);
    assert.equal(result.success, false);
    return result.error!.issues.map((i) => i.path.join("."));
  };
  assert.deepEqual(issues({ stage_channels: [1, 2, 3] }), ["stage_channels"]);
  assert.deepEqual(issues({ pre_channels: 0 }), ["pre_channels"]);
  assert.deepEqual(issues({ dropout: 1 }), ["dropout"]);
  assert.deepEqual(issues({ preset: "resnet50" }), ["preset"]);
  assert.deepEqual(issues({ back_blocks: [1, 2.5] }), ["back_blocks.1"]);
});
