/**
 * Exports built networks to ONNX models for inference: the backbone alone,
 * or backbone + anchor head (the detector the predict path runs through
 * onnxruntime-node). Graph inputs are channels-last, as the Backbone
 * interface fixes: `image` `[batch, d, h, w, inputChannels]` and `coord`
 * `[batch, d/stride, h/stride, w/stride, 3]`.
 *
 * @module
 */

import type { AnchorHead, HeadNetwork } from "../anchor_head.ts";
import { VALUES_PER_ANCHOR } from "../anchor_head.ts";
import type { Backbone, BackboneNetwork } from "../backbone.ts";
import { createOnnxModelBuilder, type OnnxModelBuilder } from "./builder.ts";

/** Name of the image input of exported models. */
export const IMAGE_INPUT = "image";
/** Name of the coordinate-grid input of exported models. */
export const COORD_INPUT = "coord";

/** A serialised model with the names of its values. */
export interface ExportedModel {
  /** The ModelProto bytes. */
  readonly bytes: Uint8Array;
  /** Input names: image, coord. */
  readonly inputs: { readonly image: string; readonly coord: string };
  /** The single output's value name. */
  readonly output: string;
}

const GRID = ["batch", "grid_depth", "grid_height", "grid_width"] as const;

function declareInputs(graph: OnnxModelBuilder, backbone: Backbone) {
  return {
    image: graph.input(IMAGE_INPUT, [
      "batch",
      "depth",
      "height",
      "width",
      backbone.inputChannels,
    ]),
    coord: graph.input(COORD_INPUT, [...GRID, 3]),
  };
}

/**
 * Exports a backbone network alone; its output is the feature map
 * `[batch, d/stride, h/stride, w/stride, channels]`.
 *
 * @param backbone the backbone that built `network`
 * @param network its built network (weights are read, not changed)
 * @returns the model bytes and value names
 * @example
 * ```ts ignore
 * const { bytes } = exportBackbone(backbone, network);
 * const model = await createOnnxModel(bytes);
 * ```
 */
export function exportBackbone(
  backbone: Backbone,
  network: BackboneNetwork,
): ExportedModel {
  const graph = createOnnxModelBuilder({ docString: "Pleura backbone" });
  const inputs = declareInputs(graph, backbone);
  const output = backbone.exportOnnx(network, graph, inputs);
  graph.output(output, [...GRID, backbone.output.channels]);
  return { bytes: graph.toBytes(), inputs, output };
}

/**
 * Exports backbone + anchor head as one model; its output is the head's
 * `[batch, gz, gy, gx, anchors · 5]` (channel = anchor · 5 + field).
 *
 * @param backbone the backbone that built `backboneNetwork`
 * @param backboneNetwork its built network
 * @param head the head that built `headNetwork`
 * @param headNetwork its built network
 * @returns the model bytes and value names
 * @example
 * ```ts ignore
 * const { bytes } = exportDetector(backbone, body, head, headNet);
 * ```
 */
export function exportDetector(
  backbone: Backbone,
  backboneNetwork: BackboneNetwork,
  head: AnchorHead,
  headNetwork: HeadNetwork,
): ExportedModel {
  if (head.stride !== backbone.output.stride) {
    throw new RangeError(
      `Cannot export detector: head stride is ${head.stride}, expected the backbone's output stride ${backbone.output.stride}`,
    );
  }
  const graph = createOnnxModelBuilder({ docString: "Pleura detector" });
  const inputs = declareInputs(graph, backbone);
  const features = backbone.exportOnnx(backboneNetwork, graph, inputs);
  const output = head.exportOnnx(headNetwork, graph, features);
  graph.output(output, [...GRID, head.anchors.length * VALUES_PER_ANCHOR]);
  return { bytes: graph.toBytes(), inputs, output };
}
