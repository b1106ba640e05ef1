import assert from "node:assert/strict";
import {
  countPlan,
  planMultiplyAdds,
  planResUnet,
  PRESETS,
  type ResUnetArchitecture,
  unitParameters,
} from "./architecture.ts";

const reference: ResUnetArchitecture = {
  ...PRESETS.resunet150,
  bnAffine: true,
  convBias: true,
  dropout: 0.5,
};

Deno.test("countPlan() gives the reference's parameters per part (§2.1)", () => {
  const plan = planResUnet(reference);
  const part = (prefix: string) =>
    plan.units.filter((u) => u.conv.startsWith(prefix)).reduce(
      (sum, u) => sum + unitParameters(u, reference),
      0,
    );
  // Figures of reference-detector.md §2.1 (PyTorch defaults).
  assert.equal(part("preBlock."), 16_344);
  assert.equal(part("forw1."), 104_928);
  assert.equal(part("forw2."), 390_080);
  assert.equal(part("forw3."), 664_704);
  assert.equal(part("forw4."), 664_704);
  assert.equal(part("path1."), 32_960);
  assert.equal(part("back3."), 783_680);
  assert.equal(part("path2."), 32_960);
  assert.equal(part("back2."), 2_684_032);
  // The §2.1 total 5,383,623 minus the head's (128·64 + 64) + (64·15 + 15).
  const head = 128 * 64 + 64 + 64 * 15 + 15;
  assert.equal(head, 9_231);
  assert.equal(countPlan(plan).parameters, 5_383_623 - head);
});

Deno.test("countPlan() counts 40 weighted layers: 34 3³ convs, 4 shortcuts, 2 deconvs", () => {
  const plan = planResUnet(reference);
  const k3 = plan.units.filter((u) => u.kind === "conv" && u.kernel === 3);
  const k1 = plan.units.filter((u) => u.kind === "conv" && u.kernel === 1);
  const up = plan.units.filter((u) => u.kind === "deconv");
  assert.deepEqual([k3.length, k1.length, up.length], [34, 4, 2]);
  assert.equal(countPlan(plan).weightedLayers, 40);
  // 42 with the head's two 1³ convs (§2.1).
  assert.equal(countPlan(plan).weightedLayers + 2, 42);
});

Deno.test("countPlan() Caffe objects plus the head's make the prototxt's 151 (§2.2)", () => {
  const counts = countPlan(planResUnet(reference));
  assert.deepEqual(counts.caffeByType, {
    Convolution: 38,
    BatchNorm: 40,
    ReLU: 36,
    Eltwise: 16,
    Pooling: 4,
    Deconvolution: 2,
    Concat: 3,
    Dropout: 1,
  });
  assert.equal(counts.caffeLayers, 140);
  // Head side: 2 Convolution, 1 ReLU, 2 Reshape, 1 transpose, 1 anchor
  // target, 1 data, 3 losses.
  const head = 2 + 1 + 2 + 1 + 1 + 1 + 3;
  assert.equal(counts.caffeLayers + head, 151);
  // Per type, the §2.2 totals: 40 Convolution, 37 ReLU.
  assert.equal(counts.caffeByType.Convolution + 2, 40);
  assert.equal(counts.caffeByType.ReLU + 1, 37);
});

Deno.test("countPlan() drops the Dropout object when the rate is 0", () => {
  const counts = countPlan(planResUnet({ ...reference, dropout: 0 }));
  assert.equal(counts.caffeByType.Dropout, 0);
  assert.equal(counts.caffeLayers, 139);
});

Deno.test("countPlan() without BN affine or conv bias drops 2 per BN channel and 1 per conv channel", () => {
  const plan = planResUnet(reference);
  const channels = plan.units.reduce((s, u) => s + u.outChannels, 0);
  const bare = countPlan(
    planResUnet({ ...reference, bnAffine: false, convBias: false }),
  );
  assert.equal(bare.parameters, countPlan(plan).parameters - 3 * channels);
});

Deno.test("planMultiplyAdds() gives 168.7 G for a 128³ crop with the head (platform.md)", () => {
  const plan = planResUnet(reference);
  const backbone = planMultiplyAdds(plan, [128, 128, 128]);
  const head = (128 * 64 + 64 * 15) * 32 ** 3;
  assert.equal(Math.round((backbone + head) / 1e8) / 10, 168.7);
  // Cubic in the crop edge.
  assert.equal(planMultiplyAdds(plan, [64, 64, 64]) * 8, backbone);
});

Deno.test("planResUnet() sizes the concatenations from the widths", () => {
  const plan = planResUnet({
    ...reference,
    preChannels: 3,
    stageChannels: [4, 5, 6, 7],
    stageBlocks: [1, 2, 1, 1],
    backChannels: [8, 9],
    backBlocks: [2, 1],
  });
  assert.equal(plan.stages[1].length, 2);
  assert.equal(plan.path1.inChannels, 7);
  assert.equal(plan.back3[0].conv1.inChannels, 7 + 6);
  assert.equal(plan.back3[1].conv1.inChannels, 8);
  assert.equal(plan.path2.inChannels, 8);
  assert.equal(plan.back2[0].conv1.inChannels, 8 + 5 + 3);
  assert.equal(plan.back2[0].conv2.outChannels, 9);
  assert.equal(plan.stages[1][1].shortcut, null);
  assert.equal(plan.stages[1][0].shortcut?.inChannels, 4);
  assert.equal(new Set(plan.units.map((u) => u.conv)).size, plan.units.length);
});

Deno.test("the small preset halves every width of the reference", () => {
  const small = PRESETS.small, big = PRESETS.resunet150;
  assert.equal(small.preChannels * 2, big.preChannels);
  assert.deepEqual(small.stageChannels.map((c) => c * 2), big.stageChannels);
  assert.deepEqual(small.backChannels.map((c) => c * 2), big.backChannels);
  assert.deepEqual(small.stageBlocks, big.stageBlocks);
  assert.equal(
    countPlan(planResUnet({ ...reference, ...small })).parameters,
    1_348_524,
  );
});
