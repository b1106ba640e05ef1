/**
 * The `resunet` backbone: the 3D ResNet-UNet of the reference detector
 * (lfz/DSB2017 `res18.py`, the same topology as the "150-layer" Caffe
 * `unet_resnet150`; reference-detector.md §2.1–2.2). Input
 * `[batch, d, h, w, 1]` plus the `[batch, d/4, h/4, w/4, 3]` coordinate grid;
 * output features `[batch, d/4, h/4, w/4, 128]` (stride 4, max stride 16).
 *
 * @module
 */

import {
  type Backbone,
  defineBackbone,
  type Engine,
  type Rng,
} from "../../core/mod.ts";
import {
  countPlan,
  MAX_STRIDE,
  OUTPUT_STRIDE,
  planResUnet,
} from "./architecture.ts";
import { buildResUnet, type ResUnetNetwork } from "./network.ts";
import { exportResUnet } from "./onnx.ts";
import { architectureFromOptions, resunetOptions } from "./options.ts";

/** The `resunet` backbone plugin. */
export const resunet = defineBackbone({
  id: "resunet",
  description:
    "3D ResNet-UNet of the reference detector (DSB2017 res18 / Caffe unet_resnet150): 16 residual blocks, 2 up paths, coord input; 128 features at stride 4",
  options: resunetOptions,
  create(options, context): Backbone {
    const plan = planResUnet(architectureFromOptions(options));
    context.logger.debug("Backbone resunet", { options });
    const runtime = {
      bnMomentum: options.bn_momentum,
      bnEpsilon: options.bn_epsilon,
      dropoutMode: options.dropout_mode,
    };
    const counts = countPlan(plan);
    return {
      output: {
        channels: plan.architecture.backChannels[1],
        stride: OUTPUT_STRIDE,
      },
      inputChannels: plan.architecture.inputChannels ?? 1,
      maxStride: MAX_STRIDE,
      counts: () => ({
        parameters: counts.parameters,
        weightedLayers: counts.weightedLayers,
        caffeLayers: counts.caffeLayers,
      }),
      build(engine: Engine, rng: Rng): ResUnetNetwork {
        return buildResUnet(engine, rng, plan, runtime);
      },
      exportOnnx(network, graph, inputs) {
        return exportResUnet(
          plan,
          network.getWeights(),
          options.bn_epsilon,
          graph,
          inputs,
        );
      },
    };
  },
});
