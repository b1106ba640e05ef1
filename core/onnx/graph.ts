/**
 * The ONNX graph builder interface that backbones and heads export into.
 * The builder itself (protobuf via npm:onnx-proto) lives beside this file.
 *
 * @module
 */

/** An ONNX attribute value. */
export type OnnxAttribute = number | string | readonly number[];

/** Builds one ONNX graph; value names are strings. */
export interface OnnxGraphBuilder {
  /**
   * Adds a float32 constant (an initializer) and returns its value name.
   *
   * @param name a readable base name; the builder makes it unique
   * @param shape tensor shape
   * @param data values, row-major
   */
  initializer(
    name: string,
    shape: readonly number[],
    data: Float32Array,
  ): string;
  /**
   * Adds an int64 constant (for Reshape shapes, Slice bounds…) and returns its value name.
   */
  int64Initializer(
    name: string,
    shape: readonly number[],
    data: readonly number[],
  ): string;
  /**
   * Adds a node and returns its output value names.
   *
   * @param opType ONNX operator, e.g. `"Conv"`
   * @param inputs input value names (`""` for an omitted optional input)
   * @param attributes operator attributes
   * @param outputCount how many outputs the node has (default 1)
   */
  node(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, OnnxAttribute>,
    outputCount?: number,
  ): string[];
}
