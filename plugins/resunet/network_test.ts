import assert from "node:assert/strict";
import type * as tfTypes from "@tensorflow/tfjs-core";
import { createEngine } from "../../core/engine/mod.ts";
import {
  createRng,
  type Engine,
  type EngineName,
  type NamedWeights,
  ShapeError,
} from "../../core/mod.ts";
import { backboneInputs } from "../../core/testing/backbone_contract.ts";
import {
  planResUnet,
  PRESETS,
  type ResUnetArchitecture,
} from "./architecture.ts";
import { buildResUnet, initBound, type ResUnetNetwork } from "./network.ts";

type T5 = tfTypes.Tensor5D;

/** Every block kind at 1–5 channels: shortcut and identity blocks, both up paths. */
const tinyArch = (dropout = 0): ResUnetArchitecture => ({
  preChannels: 2,
  stageChannels: [3, 4, 4, 4],
  stageBlocks: [1, 1, 1, 1],
  backChannels: [4, 5],
  backBlocks: [1, 1],
  bnAffine: true,
  convBias: true,
  dropout,
});

const runtime = {
  bnMomentum: 0.1,
  bnEpsilon: 1e-5,
  dropoutMode: "channel" as const,
};

async function withEngine(
  body: (engine: Engine) => void | Promise<void>,
  name: EngineName = "tfjs-cpu",
) {
  const engine = await createEngine(name);
  try {
    await body(engine);
  } finally {
    engine.dispose();
  }
}

function build(
  engine: Engine,
  arch: ResUnetArchitecture,
  seed = 0,
  mode: "channel" | "element" = "channel",
): ResUnetNetwork {
  return buildResUnet(engine, createRng(seed), planResUnet(arch), {
    ...runtime,
    dropoutMode: mode,
  });
}

function forward(
  network: ResUnetNetwork,
  input: { image: T5; coord: T5 },
  training: boolean,
): Float32Array {
  const out = network.apply(input.image, input.coord, training);
  const data = new Float32Array(out.dataSync() as Float32Array);
  out.dispose();
  return data;
}

/** Random running statistics and affine parameters, so eval-mode BN is not the identity. */
function perturbBatchNorm(weights: NamedWeights, seed: number): NamedWeights {
  const rng = createRng(seed);
  const out: NamedWeights = new Map();
  for (const [name, w] of weights) {
    const data = new Float32Array(w.data);
    if (name.endsWith(".movingMean") || name.endsWith(".beta")) {
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform(-0.3, 0.3);
    } else if (
      name.endsWith(".movingVariance") || name.endsWith(".gamma")
    ) {
      for (let i = 0; i < data.length; i++) data[i] = rng.uniform(0.5, 2);
    }
    out.set(name, { shape: w.shape, data });
  }
  return out;
}

/**
 * The tiny network written out by hand with raw tfjs ops, from the layer
 * table of reference-detector.md §2.1 (not from the plan), in eval mode.
 */
function handWrittenForward(
  tf: Engine["tf"],
  weights: NamedWeights,
  image: T5,
  coord: T5,
): T5 {
  return tf.tidy(() => {
    const t = (name: string) => {
      const w = weights.get(name);
      assert.ok(w, `weight "${name}"`);
      return tf.tensor(w.data, [...w.shape]);
    };
    const bn = (x: T5, name: string): T5 =>
      tf.add(
        tf.mul(
          tf.div(
            tf.sub(x, t(`${name}.movingMean`)),
            tf.sqrt(tf.add(t(`${name}.movingVariance`), 1e-5)),
          ),
          t(`${name}.gamma`),
        ),
        t(`${name}.beta`),
      ) as T5;
    const conv = (x: T5, name: string): T5 =>
      tf.add(
        tf.conv3d(x, t(`${name}.filter`) as tfTypes.Tensor5D, 1, "same"),
        t(`${name}.bias`),
      ) as T5;
    const cbr = (x: T5, c: string, b: string) => tf.relu(bn(conv(x, c), b));
    const postRes = (x: T5, name: string, shortcut: boolean): T5 => {
      const residual = shortcut
        ? bn(conv(x, `${name}.shortcut.conv`), `${name}.shortcut.bn`)
        : x;
      const h = cbr(x, `${name}.conv1`, `${name}.bn1`);
      return tf.relu(
        tf.add(bn(conv(h, `${name}.conv2`), `${name}.bn2`), residual),
      );
    };
    const up = (x: T5, name: string): T5 => {
      const [n, d, h, w, c] = x.shape;
      const y = tf.conv3dTranspose(
        x,
        t(`${name}.conv.filter`) as tfTypes.Tensor5D,
        [n, 2 * d, 2 * h, 2 * w, c],
        2,
        "valid",
      );
      return tf.relu(bn(tf.add(y, t(`${name}.conv.bias`)), `${name}.bn`));
    };
    const pool = (x: T5) => tf.maxPool3d(x, 2, 2, "valid");
    let x = cbr(image, "preBlock.conv1", "preBlock.bn1");
    x = cbr(x, "preBlock.conv2", "preBlock.bn2");
    const f1 = postRes(pool(x), "forw1.0", true); // 2 → 3
    const f2 = postRes(pool(f1), "forw2.0", true); // 3 → 4 (skip A)
    const f3 = postRes(pool(f2), "forw3.0", false); // 4 → 4 (skip B)
    const f4 = postRes(pool(f3), "forw4.0", false);
    const b3 = postRes(tf.concat([up(f4, "path1"), f3], 4), "back3.0", true);
    return postRes(
      tf.concat([up(b3, "path2"), f2, coord], 4),
      "back2.0",
      true,
    );
  });
}

Deno.test("buildResUnet() eval forward equals the hand-written §2.1 network", async () => {
  await withEngine((engine) => {
    const tf = engine.tf;
    const network = build(engine, tinyArch(0.5), 3);
    network.setWeights(perturbBatchNorm(network.getWeights(), 4));
    const input = backboneInputs(engine, 4, 2, [32, 16, 32], 9);
    const got = forward(network, input, false);
    const expected = handWrittenForward(
      tf,
      network.getWeights(),
      input.image,
      input.coord,
    );
    assert.deepEqual(expected.shape, [2, 8, 4, 8, 5]);
    const want = expected.dataSync();
    let worst = 0, scale = 0;
    for (let i = 0; i < want.length; i++) {
      worst = Math.max(worst, Math.abs(got[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    assert.ok(scale > 0.1, "degenerate output");
    assert.ok(
      worst <= 1e-5 * scale,
      `max difference ${worst} (scale ${scale})`,
    );
    tf.dispose([expected, input.image, input.coord]);
    network.dispose();
  });
});

Deno.test("buildResUnet() initialises like PyTorch: U(±1/√fan_in) weights and biases, BN 1/0/0/1", async () => {
  await withEngine((engine) => {
    const plan = planResUnet({
      ...PRESETS.small,
      bnAffine: true,
      convBias: true,
      dropout: 0.5,
    });
    const network = buildResUnet(engine, createRng(1), plan, runtime);
    const weights = network.getWeights();
    for (const unit of plan.units) {
      const bound = initBound(unit);
      const fanIn = unit.kind === "conv"
        ? unit.inChannels * unit.kernel ** 3
        : unit.outChannels * 8;
      assert.equal(bound, 1 / Math.sqrt(fanIn));
      const filter = weights.get(`${unit.conv}.filter`)!.data;
      const bias = weights.get(`${unit.conv}.bias`)!.data;
      const max = filter.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(max <= bound, `${unit.conv} exceeds its bound`);
      assert.ok(max > 0.9 * bound, `${unit.conv} max ${max} ≪ bound ${bound}`);
      assert.ok(bias.every((v) => Math.abs(v) <= bound));
      // Uniform on ±b has variance b²/3.
      const variance = filter.reduce((s, v) => s + v * v, 0) / filter.length;
      assert.ok(
        Math.abs(variance / (bound * bound / 3) - 1) < 0.25,
        `${unit.conv} variance ${variance}`,
      );
      for (
        const [field, value] of [
          ["gamma", 1],
          ["beta", 0],
          ["movingMean", 0],
          ["movingVariance", 1],
        ] as const
      ) {
        const data = weights.get(`${unit.bn}.${field}`)!.data;
        assert.ok(data.every((v) => v === value), `${unit.bn}.${field}`);
      }
    }
    network.dispose();
  });
});

Deno.test("buildResUnet() names weights by block and layer in tfjs layout", async () => {
  await withEngine((engine) => {
    const network = build(engine, tinyArch());
    const weights = network.getWeights();
    assert.deepEqual(weights.get("forw2.0.conv1.filter")!.shape, [
      3,
      3,
      3,
      3,
      4,
    ]);
    assert.deepEqual(weights.get("forw2.0.shortcut.conv.filter")!.shape, [
      1,
      1,
      1,
      3,
      4,
    ]);
    assert.deepEqual(weights.get("path1.conv.filter")!.shape, [2, 2, 2, 4, 4]);
    assert.deepEqual(weights.get("back2.0.conv1.filter")!.shape, [
      3,
      3,
      3,
      11,
      5,
    ]);
    assert.equal(weights.has("forw3.0.shortcut.conv.filter"), false);
    assert.deepEqual(weights.get("back2.0.bn2.movingVariance")!.shape, [5]);
    // Per unit: filter, bias, γ, β (trainable), running mean and variance.
    assert.equal(weights.size, network.plan.units.length * 6);
    assert.equal(network.trainable.length, network.plan.units.length * 4);
    network.dispose();
  });
});

Deno.test("buildResUnet() without BN affine or conv bias has no γ, β or bias", async () => {
  await withEngine((engine) => {
    const network = build(engine, {
      ...tinyArch(),
      bnAffine: false,
      convBias: false,
    });
    const names = [...network.getWeights().keys()];
    assert.ok(!names.some((n) => /\.(gamma|beta|bias)$/.test(n)));
    assert.equal(network.trainable.length, network.plan.units.length);
    network.dispose();
  });
});

Deno.test("training mode updates running statistics; eval mode leaves them", async () => {
  await withEngine((engine) => {
    const network = build(engine, tinyArch());
    const input = backboneInputs(engine, 4, 2, [16, 16, 16], 1);
    const before = network.getWeights();
    const evalA = forward(network, input, false);
    const evalB = forward(network, input, false);
    assert.deepEqual(evalA, evalB);
    assert.deepEqual(
      network.getWeights().get("preBlock.bn1.movingMean")!.data,
      before.get("preBlock.bn1.movingMean")!.data,
    );
    forward(network, input, true);
    const after = network.getWeights();
    const mean = after.get("preBlock.bn1.movingMean")!.data;
    assert.ok(mean.some((v) => v !== 0));
    // Trainable weights are untouched by a forward pass.
    assert.deepEqual(
      after.get("preBlock.conv1.filter")!.data,
      before.get("preBlock.conv1.filter")!.data,
    );
    engine.tf.dispose([input.image, input.coord]);
    network.dispose();
  });
});

Deno.test("channel dropout zeroes whole channels and scales the rest by 1/(1 − p)", async () => {
  await withEngine((engine) => {
    const input = backboneInputs(engine, 4, 2, [16, 16, 16], 1);
    const dropped = build(engine, tinyArch(0.5), 5);
    const plain = build(engine, tinyArch(0), 5);
    // Training mode normalises with batch statistics, so both see the same
    // pre-dropout features; the ratio is the mask.
    const y = forward(dropped, input, true);
    const x = forward(plain, input, true);
    const channels = 5, cells = 4 * 4 * 4;
    let zeros = 0;
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < channels; c++) {
        const ratios = new Set<number>();
        for (let i = 0; i < cells; i++) {
          const k = (b * cells + i) * channels + c;
          if (x[k] > 1e-6) ratios.add(Math.round((y[k] / x[k]) * 1e4) / 1e4);
        }
        assert.ok(ratios.size <= 1, `sample ${b} channel ${c}: ${[...ratios]}`);
        if (ratios.has(0)) zeros++;
        else if (ratios.size === 1) assert.ok(ratios.has(2));
      }
    }
    assert.ok(zeros > 0 && zeros < 10, `${zeros} of 10 channels dropped`);
    // The next training call draws a new mask; eval mode drops nothing.
    const y2 = forward(dropped, input, true);
    assert.notDeepEqual(y2, y);
    engine.tf.dispose([input.image, input.coord]);
    dropped.dispose();
    plain.dispose();
  });
});

Deno.test("reseed() makes the dropout mask a function of the seed alone", async () => {
  await withEngine((engine) => {
    const input = backboneInputs(engine, 4, 2, [16, 16, 16], 1);
    const a = build(engine, tinyArch(0.5), 5);
    const b = build(engine, tinyArch(0.5), 5);
    // b has already drawn two masks; reseeding both to 9 gives equal outputs.
    forward(b, input, true);
    forward(b, input, true);
    a.reseed!(9);
    b.reseed!(9);
    assert.deepEqual(forward(a, input, true), forward(b, input, true));
    a.reseed!(10);
    b.reseed!(9);
    assert.notDeepEqual(forward(a, input, true), forward(b, input, true));
    engine.tf.dispose([input.image, input.coord]);
    a.dispose();
    b.dispose();
  });
});

Deno.test("element dropout zeroes single values", async () => {
  await withEngine((engine) => {
    const input = backboneInputs(engine, 4, 1, [32, 32, 32], 1);
    const dropped = build(engine, tinyArch(0.5), 5, "element");
    const plain = build(engine, tinyArch(0), 5);
    const y = forward(dropped, input, true);
    const x = forward(plain, input, true);
    let mixed = 0;
    for (let c = 0; c < 5; c++) {
      const ratios = new Set<number>();
      for (let i = 0; i < 512; i++) {
        const k = i * 5 + c;
        if (x[k] > 1e-6) ratios.add(Math.round((y[k] / x[k]) * 1e4) / 1e4);
      }
      for (const r of ratios) assert.ok(r === 0 || r === 2, `ratio ${r}`);
      if (ratios.size === 2) mixed++;
    }
    assert.ok(
      mixed >= 4,
      `${mixed} channels have both kept and dropped values`,
    );
    engine.tf.dispose([input.image, input.coord]);
    dropped.dispose();
    plain.dispose();
  });
});

Deno.test("apply() names the bad input in its ShapeError", async () => {
  await withEngine((engine) => {
    const tf = engine.tf;
    const network = build(engine, tinyArch());
    const image = tf.zeros([1, 20, 16, 16, 1]) as T5;
    const coord = tf.zeros([1, 5, 4, 4, 3]) as T5;
    assert.throws(
      () => network.apply(image, coord, false),
      (e: Error) =>
        e instanceof ShapeError &&
        e.message ===
          "Cannot use resunet image (d, h, w must be positive multiples of 16): shape is [1, 20, 16, 16, 1], expected [1, *, 16, 16, 1]",
    );
    const good = tf.zeros([1, 16, 16, 16, 1]) as T5;
    assert.throws(
      () => network.apply(good, coord, false),
      {
        message:
          "Cannot use resunet coord: shape is [1, 5, 4, 4, 3], expected [1, 4, 4, 4, 3]",
      },
    );
    tf.dispose([image, coord, good]);
    network.dispose();
    assert.throws(() => network.apply(good, coord, false), {
      message:
        "Cannot run resunet: the network was disposed, expected a live network",
    });
  });
});

Deno.test("setWeights() names the first mismatch and loads nothing on error", async () => {
  await withEngine((engine) => {
    const network = build(engine, tinyArch());
    const weights = network.getWeights();
    const wrong: NamedWeights = new Map(weights);
    wrong.set("forw2.0.conv1.filter", {
      shape: [3, 3, 3, 4, 4],
      data: new Float32Array(432),
    });
    wrong.set("preBlock.conv1.bias", {
      shape: [2],
      data: new Float32Array([9, 9]),
    });
    assert.throws(() => network.setWeights(wrong), {
      name: "ShapeError",
      message:
        'Cannot use resunet weight "forw2.0.conv1.filter": shape is [3, 3, 3, 4, 4], expected [3, 3, 3, 3, 4]',
    });
    assert.deepEqual(
      network.getWeights().get("preBlock.conv1.bias")!.data,
      weights.get("preBlock.conv1.bias")!.data,
    );
    const extra: NamedWeights = new Map(weights);
    extra.set("head.conv.filter", { shape: [1], data: new Float32Array(1) });
    assert.throws(() => network.setWeights(extra), {
      name: "RangeError",
      message:
        'Cannot load resunet weights: "head.conv.filter" is not a weight of this network (1 unknown), expected only names from getWeights()',
    });
    const short: NamedWeights = new Map(weights);
    short.set("preBlock.conv1.bias", { shape: [2], data: new Float32Array(3) });
    assert.throws(() => network.setWeights(short), {
      message:
        'Cannot load resunet weight "preBlock.conv1.bias": data has 3 values, expected 2',
    });
    network.dispose();
  });
});

/**
 * L(θ, x) = Σ features ⊙ R for a fixed random R: its gradient is the
 * backward pass of the whole network.
 */
function weightedSum(
  engine: Engine,
  network: ResUnetNetwork,
  image: T5,
  coord: T5,
  r: tfTypes.Tensor,
): tfTypes.Scalar {
  const tf = engine.tf;
  return tf.tidy(() =>
    tf.sum(tf.mul(network.apply(image, coord, true), r)) as tfTypes.Scalar
  );
}

for (const engineName of ["tfjs-cpu", "cpu"] as const) {
  Deno.test(`resunet's training-mode gradient matches central finite differences on "${engineName}"`, async () => {
    // The whole network at the reference depths (blocks 2/2/3/3 and 3/3) with
    // tiny widths, 32³, batch 1. Why it is subtle:
    // - In training mode every batch-norm output depends on the whole batch
    //   through its mean and variance, so the exact gradient has terms through
    //   the batch statistics. Each finite-difference forward recomputes those
    //   statistics, so agreement checks the complete BN backward.
    // - Running statistics move on every forward; that does not change
    //   training-mode outputs. Dropout is off: a new mask per call would make
    //   L a different function at each evaluation.
    // - At 32³ the deepest BN (2³ cells) normalises over 8 values; at 16³ with
    //   batch 1 it would see one value (undefined variance).
    // - ReLU and max-pool make L piecewise smooth: a step h moves thousands of
    //   units across kinks, so the difference converges only like O(h) with a
    //   large constant, while float32 rounding grows like 1/h. h = 3e-4 along
    //   a unit direction is the measured sweet spot (errors ≤ 2 %; 8–33 % at
    //   h = 1e-2).
    // - Directions are each group's own gradient g/‖g‖, where the directional
    //   derivative is ‖g‖: a wrong analytic gradient g′ would give a finite
    //   difference of g·g′/‖g′‖ ≠ ‖g′‖.
    await withEngine((engine) => {
      const tf = engine.tf;
      const network = build(engine, {
        ...tinyArch(0),
        stageBlocks: [2, 2, 3, 3],
        backBlocks: [3, 3],
      }, 8);
      const { image, coord } = backboneInputs(engine, 4, 1, [32, 32, 32], 4);
      const rng = createRng(5);
      const r = tf.tensor(
        Float32Array.from({ length: 8 * 8 * 8 * 5 }, () => rng.normal()),
        [1, 8, 8, 8, 5],
      );
      const variables = network.trainable as tfTypes.Variable[];
      const names = [...network.getWeights().keys()].filter((n) =>
        !n.includes(".moving")
      );
      assert.equal(names.length, variables.length);
      const { value, grads } = tf.variableGrads(
        () => weightedSum(engine, network, image, coord, r),
        variables,
      );
      const imageGrad = tf.grad((x: tfTypes.Tensor) =>
        weightedSum(engine, network, x as T5, coord, r)
      )(image);
      const loss = (x: T5) => {
        const l = weightedSum(engine, network, x, coord, r);
        const out = l.dataSync()[0];
        l.dispose();
        return out;
      };
      const h = 3e-4;
      const groups = [
        ["preBlock", "forw1"],
        ["forw2", "forw3", "forw4"],
        ["path1", "back3"],
        ["path2", "back2"],
      ];
      for (const group of groups) {
        const members = variables.flatMap((v, i) =>
          group.some((g) => names[i].startsWith(`${g}.`)) ? [v] : []
        );
        const base = members.map((v) => new Float32Array(v.dataSync()));
        const g = members.map((v) => grads[v.name].dataSync() as Float32Array);
        const norm = Math.sqrt(
          g.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0),
        );
        const move = (step: number) =>
          members.forEach((v, j) =>
            tf.tidy(() =>
              v.assign(tf.tensor(
                base[j].map((b, k) => b + step * g[j][k] / norm),
                v.shape,
              ))
            )
          );
        move(h);
        const plus = loss(image);
        move(-h);
        const minus = loss(image);
        move(0);
        const ratio = (plus - minus) / (2 * h) / norm;
        assert.ok(norm > 1, `${group}: gradient norm ${norm}`);
        assert.ok(
          Math.abs(ratio - 1) < 0.05,
          `${group}: finite difference / analytic = ${ratio}`,
        );
      }
      const gx = imageGrad.dataSync() as Float32Array;
      const norm = Math.sqrt(gx.reduce((s, x) => s + x * x, 0));
      const along = (step: number) =>
        tf.tidy(() => tf.add(image, tf.mul(imageGrad, step / norm)) as T5);
      const [xp, xm] = [along(h), along(-h)];
      const ratio = (loss(xp) - loss(xm)) / (2 * h) / norm;
      assert.ok(Math.abs(ratio - 1) < 0.05, `input: ratio ${ratio}`);
      tf.dispose([value, imageGrad, image, coord, r, xp, xm]);
      tf.dispose(Object.values(grads));
      network.dispose();
    }, engineName);
  });
}

// tfjs-cpu only: on "cpu" the same loop takes ~20 s (one ORT session per
// tiny shape); the contract suite checks that engine for leaks.
for (const engineName of ["tfjs-cpu"] as const) {
  Deno.test(`100 SGD steps at 16³ keep tf.memory().numTensors constant on "${engineName}"`, async () => {
    await withEngine((engine) => {
      const tf = engine.tf;
      const network = build(engine, {
        ...tinyArch(0.5),
        preChannels: 1,
        stageChannels: [1, 1, 2, 2],
        backChannels: [2, 2],
      });
      const { image, coord } = backboneInputs(engine, 4, 2, [16, 16, 16], 4);
      const optimizer = tf.train.sgd(0.01);
      const variables = network.trainable as tfTypes.Variable[];
      const step = () => {
        const loss = optimizer.minimize(
          () => tf.mean(tf.square(network.apply(image, coord, true))),
          true,
          variables,
        );
        const value = loss!.dataSync()[0];
        loss!.dispose();
        return value;
      };
      step();
      const held = tf.memory().numTensors;
      const first = step();
      let last = first;
      for (let i = 0; i < 98; i++) last = step();
      assert.equal(tf.memory().numTensors, held);
      assert.ok(
        Number.isFinite(last) && last < first,
        `loss ${first} → ${last}`,
      );
      optimizer.dispose();
      tf.dispose([image, coord]);
      network.dispose();
    }, engineName);
  });
}

Deno.test('resunet with imageGradient: false skips the image gradient on "cpu" (zero) and keeps it by default', async () => {
  await withEngine((engine) => {
    const tf = engine.tf;
    const network = build(engine, tinyArch(0), 3);
    const { image, coord } = backboneInputs(engine, 4, 2, [16, 16, 16], 7);
    const imageGradient = (flag?: boolean) =>
      tf.grad((x: tfTypes.Tensor) =>
        tf.mean(tf.square(
          network.apply(
            x as T5,
            coord,
            true,
            flag === undefined ? undefined : { imageGradient: flag },
          ),
        ))
      )(image);
    const kept = imageGradient();
    const skipped = imageGradient(false);
    assert.ok(kept.dataSync().some((v) => v !== 0));
    assert.ok(skipped.dataSync().every((v) => v === 0));
    tf.dispose([kept, skipped, image, coord]);
    network.dispose();
  }, "cpu");
});
