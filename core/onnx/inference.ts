/**
 * Runs an exported ONNX model through onnxruntime-node (its public async
 * API, CPU execution provider). Inference on full scans uses this whatever
 * engine trained the network.
 *
 * @module
 */

import * as ort from "onnxruntime-node";

/** A float32 tensor passed to or returned from a model. */
export interface OnnxTensor {
  /** Values, row-major. */
  readonly data: Float32Array;
  /** Shape. */
  readonly dims: readonly number[];
}

/** A loaded model. */
export interface OnnxModel {
  /** The graph's input names. */
  readonly inputNames: readonly string[];
  /** The graph's output names. */
  readonly outputNames: readonly string[];
  /** The intra-op thread count the session uses. */
  readonly threads: number;
  /**
   * Runs the model. Every graph input must be fed; returns every output.
   *
   * @param feeds float32 tensors by input name
   * @returns float32 tensors by output name
   */
  run(feeds: Record<string, OnnxTensor>): Promise<Record<string, OnnxTensor>>;
  /** Releases the native session. */
  dispose(): Promise<void>;
}

/** Options of {@linkcode createOnnxModel}. */
export interface OnnxInferenceOptions {
  /** Intra-op threads; default: every core (`navigator.hardwareConcurrency`). */
  readonly threads?: number;
}

/**
 * Loads a serialised ONNX model (a ModelProto) into an onnxruntime-node session.
 *
 * @param bytes the model
 * @param options thread count
 * @returns the model, ready to run
 * @throws {RangeError} on a bad thread count
 * @throws {TypeError} when onnxruntime cannot load the bytes
 *
 * @example
 * ```ts ignore
 * import { createOnnxModel } from "./inference.ts";
 * const model = await createOnnxModel(bytes, { threads: 2 });
 * const { features } = await model.run({ image, coord });
 * await model.dispose();
 * ```
 */
export async function createOnnxModel(
  bytes: Uint8Array,
  options: OnnxInferenceOptions = {},
): Promise<OnnxModel> {
  const threads = options.threads ?? navigator.hardwareConcurrency ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(
      `Cannot create ONNX model: threads is ${threads}, expected an integer >= 1`,
    );
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      executionProviders: ["cpu"],
    });
  } catch (error) {
    throw new TypeError(
      `Cannot load ONNX model (${bytes.length} bytes): ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  const inputNames = [...session.inputNames];
  const outputNames = [...session.outputNames];
  let released = false;
  return {
    inputNames,
    outputNames,
    threads,
    async run(feeds) {
      if (released) {
        throw new TypeError(
          "Cannot run ONNX model: it was disposed, expected a live model",
        );
      }
      const missing = inputNames.filter((name) => !(name in feeds));
      const unknown = Object.keys(feeds).filter((name) =>
        !inputNames.includes(name)
      );
      if (missing.length > 0 || unknown.length > 0) {
        throw new RangeError(
          `Cannot run ONNX model: feeds are ${
            quoteList(Object.keys(feeds))
          }, expected exactly ${quoteList(inputNames)}`,
        );
      }
      const inputs: Record<string, ort.Tensor> = {};
      for (const [name, tensor] of Object.entries(feeds)) {
        const size = tensor.dims.reduce((a, b) => a * b, 1);
        if (size !== tensor.data.length) {
          throw new RangeError(
            `Cannot run ONNX model: input "${name}" has ${tensor.data.length} values, expected ${size} for dims [${
              tensor.dims.join(", ")
            }]`,
          );
        }
        inputs[name] = new ort.Tensor("float32", tensor.data, [
          ...tensor.dims,
        ]);
      }
      let results: ort.InferenceSession.OnnxValueMapType;
      try {
        results = await session.run(inputs);
      } catch (error) {
        throw new TypeError(
          `Cannot run ONNX model: ${
            error instanceof Error ? error.message : String(error)
          }`,
          { cause: error },
        );
      }
      const outputs: Record<string, OnnxTensor> = {};
      for (const name of outputNames) {
        const value = results[name] as ort.Tensor;
        if (value.type !== "float32") {
          throw new TypeError(
            `Cannot read ONNX output "${name}": type is "${value.type}", expected "float32"`,
          );
        }
        outputs[name] = {
          data: value.data as Float32Array,
          dims: [...value.dims],
        };
      }
      return outputs;
    },
    async dispose() {
      if (released) return;
      released = true;
      await session.release();
    },
  };
}

function quoteList(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.map((n) => `"${n}"`).join(", ");
}
