/**
 * An {@linkcode OnnxGraphBuilder} that serialises an ONNX ModelProto
 * (opset 17 by default) with `npm:onnx-proto`. Backbones and heads append
 * nodes through the {@linkcode OnnxGraphBuilder} interface; whoever owns the
 * model declares its inputs and outputs and calls `toBytes()`.
 *
 * @module
 */

import onnxProto from "onnx-proto";
import { ShapeError } from "../errors.ts";
import type { OnnxAttribute, OnnxGraphBuilder } from "./graph.ts";

const { onnx } = onnxProto;

/** A graph input/output dimension: a size, a symbolic name (`"batch"`), or null for unknown. */
export type OnnxDim = number | string | null;

/** Element types the builder declares for graph inputs and outputs. */
export type OnnxElementType = "float32" | "int64" | "int32" | "bool";

const ELEMENT_TYPES: Record<OnnxElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
  bool: onnx.TensorProto.DataType.BOOL,
};

/**
 * ONNX attributes whose values are floats even when written as whole numbers
 * (`alpha: 1`). Every other numeric attribute is an int unless it has a
 * fractional part.
 */
const FLOAT_ATTRIBUTES = new Set([
  "alpha",
  "beta",
  "bias",
  "epsilon",
  "gamma",
  "lambd",
  "momentum",
  "ratio",
  "scale",
  "scales",
  "spatial_scale",
  "extrapolation_value",
  "cubic_coeff_a",
  "value_float",
  "value_floats",
  "mean",
  "high",
  "low",
  "min",
  "max",
]);

/** Options for {@linkcode createOnnxModelBuilder}. */
export interface OnnxModelOptions {
  /** Graph name (default `"pleura"`). */
  readonly graphName?: string;
  /** Default-domain opset (default 17; at least 13). */
  readonly opset?: number;
  /** Recorded as the model's producer (default `"pleura"`). */
  readonly producerName?: string;
  /** Free-text model documentation. */
  readonly docString?: string;
  /** Key/value metadata stored in the model. */
  readonly metadata?: Record<string, string>;
}

/** An {@linkcode OnnxGraphBuilder} that also declares graph inputs/outputs and serialises. */
export interface OnnxModelBuilder extends OnnxGraphBuilder {
  /**
   * Declares a graph input and returns its value name (exactly `name`).
   *
   * @param name input name; must be unused
   * @param shape dims; strings are symbolic (`"batch"`), null unknown
   * @param elementType default float32
   */
  input(
    name: string,
    shape: readonly OnnxDim[],
    elementType?: OnnxElementType,
  ): string;
  /**
   * Declares an existing value as a graph output.
   *
   * @param value a value name returned by the builder
   * @param shape dims if known (omit for unknown)
   * @param elementType default float32
   */
  output(
    value: string,
    shape?: readonly OnnxDim[],
    elementType?: OnnxElementType,
  ): void;
  /** Number of nodes so far. */
  readonly nodeCount: number;
  /** Serialises the ModelProto. */
  toBytes(): Uint8Array;
}

/**
 * Creates an ONNX model builder.
 *
 * @param options graph name, opset, producer, metadata
 * @returns the builder
 * @example
 * ```ts
 * import { createOnnxModelBuilder } from "./builder.ts";
 * const g = createOnnxModelBuilder();
 * const x = g.input("x", ["batch", 3]);
 * const two = g.initializer("two", [1], new Float32Array([2]));
 * const [y] = g.node("Mul", [x, two]);
 * g.output(y, ["batch", 3]);
 * g.toBytes().length > 0; // true
 * ```
 */
export function createOnnxModelBuilder(
  options: OnnxModelOptions = {},
): OnnxModelBuilder {
  const opset = options.opset ?? 17;
  if (!Number.isInteger(opset) || opset < 13) {
    throw new RangeError(
      `Cannot create ONNX model: opset is "${opset}", expected an integer >= 13`,
    );
  }
  const used = new Set<string>();
  const nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  const initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  const inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  const outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  const opCounts = new Map<string, number>();

  const unique = (base: string): string => {
    const clean = base.length > 0 ? base : "value";
    let name = clean;
    for (let i = 1; used.has(name); i++) name = `${clean}_${i}`;
    used.add(name);
    return name;
  };
  const checkShape = (what: string, shape: readonly number[], size: number) => {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (
      shape.some((d) => !Number.isInteger(d) || d < 0) || expected !== size
    ) {
      throw new ShapeError(
        `ONNX initializer "${what}" (${size} values)`,
        shape.some((d) => !Number.isInteger(d) || d < 0) ? [] : [size],
        shape,
      );
    }
  };

  return {
    get nodeCount() {
      return nodes.length;
    },
    initializer(name, shape, data) {
      checkShape(name, shape, data.length);
      const value = unique(name);
      initializers.push(onnx.TensorProto.create({
        name: value,
        dims: [...shape],
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: littleEndianBytes(data),
      }));
      return value;
    },
    int64Initializer(name, shape, data) {
      checkShape(name, shape, data.length);
      for (const v of data) {
        if (!Number.isSafeInteger(v)) {
          throw new RangeError(
            `Cannot add ONNX int64 initializer "${name}": value is "${v}", expected safe integers`,
          );
        }
      }
      const value = unique(name);
      initializers.push(onnx.TensorProto.create({
        name: value,
        dims: [...shape],
        dataType: onnx.TensorProto.DataType.INT64,
        rawData: littleEndianBytes(BigInt64Array.from(data, (v) => BigInt(v))),
      }));
      return value;
    },
    node(opType, nodeInputs, attributes = {}, outputCount = 1) {
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(opType)) {
        throw new TypeError(
          `Cannot add ONNX node: opType is "${opType}", expected an operator name such as "Conv"`,
        );
      }
      for (const input of nodeInputs) {
        if (input !== "" && !used.has(input)) {
          throw new RangeError(
            `Cannot add ONNX node "${opType}": input "${input}" is not a value of this graph, expected a name returned by input(), initializer() or node()`,
          );
        }
      }
      if (!Number.isInteger(outputCount) || outputCount < 1) {
        throw new RangeError(
          `Cannot add ONNX node "${opType}": outputCount is "${outputCount}", expected an integer >= 1`,
        );
      }
      const index = opCounts.get(opType) ?? 0;
      opCounts.set(opType, index + 1);
      const base = `${opType}_${index}`;
      const names = Array.from(
        { length: outputCount },
        (_, i) => unique(outputCount === 1 ? base : `${base}_out${i}`),
      );
      nodes.push(onnx.NodeProto.create({
        name: base,
        opType,
        input: [...nodeInputs],
        output: names,
        attribute: Object.entries(attributes).map(([key, value]) =>
          attributeProto(opType, key, value)
        ),
      }));
      return names;
    },
    input(name, shape, elementType = "float32") {
      if (used.has(name)) {
        throw new RangeError(
          `Cannot add ONNX graph input: name "${name}" is already used, expected a new name`,
        );
      }
      used.add(name);
      inputs.push(valueInfo(name, shape, elementType));
      return name;
    },
    output(value, shape, elementType = "float32") {
      if (!used.has(value)) {
        throw new RangeError(
          `Cannot add ONNX graph output: "${value}" is not a value of this graph, expected a name returned by input(), initializer() or node()`,
        );
      }
      outputs.push(valueInfo(value, shape, elementType));
    },
    toBytes() {
      if (outputs.length === 0) {
        throw new RangeError(
          "Cannot serialise ONNX model: it has no outputs, expected at least one output()",
        );
      }
      const model = onnx.ModelProto.create({
        irVersion: 8,
        producerName: options.producerName ?? "pleura",
        docString: options.docString ?? "",
        opsetImport: [{ domain: "", version: opset }],
        metadataProps: Object.entries(options.metadata ?? {}).map((
          [key, value],
        ) => ({ key, value })),
        graph: onnx.GraphProto.create({
          name: options.graphName ?? "pleura",
          node: nodes,
          initializer: initializers,
          input: inputs,
          output: outputs,
        }),
      });
      return onnx.ModelProto.encode(model).finish();
    },
  };
}

function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  // Typed arrays are little-endian on every platform Deno ships for.
  return new Uint8Array(
    data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
  );
}

function valueInfo(
  name: string,
  shape: readonly OnnxDim[] | undefined,
  elementType: OnnxElementType,
): InstanceType<typeof onnx.ValueInfoProto> {
  if (!(elementType in ELEMENT_TYPES)) {
    throw new TypeError(
      `Cannot declare ONNX value "${name}": element type is "${elementType}", expected one of ${
        Object.keys(ELEMENT_TYPES).map((k) => `"${k}"`).join(", ")
      }`,
    );
  }
  const tensorType: Record<string, unknown> = {
    elemType: ELEMENT_TYPES[elementType],
  };
  if (shape !== undefined) {
    tensorType.shape = {
      dim: shape.map((d) => {
        if (typeof d === "string") return { dimParam: d };
        if (d === null) return {};
        if (!Number.isInteger(d) || d < 0) {
          throw new RangeError(
            `Cannot declare ONNX value "${name}": dimension is "${d}", expected a size >= 0, a symbolic name or null`,
          );
        }
        return { dimValue: d };
      }),
    };
  }
  return onnx.ValueInfoProto.create({ name, type: { tensorType } });
}

function attributeProto(
  opType: string,
  name: string,
  value: OnnxAttribute,
): InstanceType<typeof onnx.AttributeProto> {
  const type = onnx.AttributeProto.AttributeType;
  if (typeof value === "string") {
    return onnx.AttributeProto.create({
      name,
      type: type.STRING,
      s: new TextEncoder().encode(value),
    });
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      throw new RangeError(
        `Cannot add ONNX node "${opType}": attribute "${name}" is "${value}", expected a finite number`,
      );
    }
    return FLOAT_ATTRIBUTES.has(name) || !Number.isInteger(value)
      ? onnx.AttributeProto.create({ name, type: type.FLOAT, f: value })
      : onnx.AttributeProto.create({ name, type: type.INT, i: value });
  }
  if (Array.isArray(value)) {
    const floats = FLOAT_ATTRIBUTES.has(name) ||
      value.some((v) => !Number.isInteger(v));
    return floats
      ? onnx.AttributeProto.create({ name, type: type.FLOATS, floats: value })
      : onnx.AttributeProto.create({ name, type: type.INTS, ints: value });
  }
  throw new TypeError(
    `Cannot add ONNX node "${opType}": attribute "${name}" is ${
      JSON.stringify(value)
    }, expected a number, a string or an array of numbers`,
  );
}
