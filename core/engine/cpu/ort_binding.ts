/**
 * Synchronous onnxruntime-node sessions through the package's private native
 * binding (`onnxruntime-node/dist/binding.js`, pinned to 1.30.0 in
 * deno.json): the public API wraps every call in a Promise and
 * `setImmediate`, which costs more than a small kernel; the binding runs in
 * about 25 µs. Outputs can be pre-allocated: the binding writes them in place.
 *
 * The binding is a private API: `ort_binding_test.ts` covers what is used.
 *
 * @module
 */

import { createRequire } from "node:module";

/** The version of onnxruntime-node this file was written against. */
export const ORT_VERSION = "1.30.0";

/** A float32/int64 tensor fed to or fetched from ORT. */
export interface OrtTensor {
  /** Element type. */
  readonly type: "float32" | "int64";
  /** Dimensions. */
  readonly dims: readonly number[];
  /** Values, row-major. */
  readonly data: Float32Array | BigInt64Array;
}

interface RawSession {
  loadModel(
    buffer: ArrayBuffer,
    byteOffset: number,
    byteLength: number,
    options: Record<string, unknown>,
  ): void;
  readonly inputMetadata: { name: string }[];
  readonly outputMetadata: { name: string }[];
  run(
    feeds: Record<string, unknown>,
    fetches: Record<string, unknown>,
    options: Record<string, unknown>,
  ): Record<string, { dims: readonly number[]; data: Float32Array }>;
  dispose(): void;
}

interface RawBinding {
  binding: { InferenceSession: new () => RawSession };
  initOrt(): void;
}

interface TensorClass {
  new (
    type: string,
    data: Float32Array | BigInt64Array,
    dims: readonly number[],
  ): OrtTensor;
}

let loaded: { binding: RawBinding; Tensor: TensorClass } | null = null;

function load(): { binding: RawBinding; Tensor: TensorClass } {
  if (loaded !== null) return loaded;
  const require = createRequire(import.meta.url);
  try {
    const pkg = require("onnxruntime-node/package.json") as { version: string };
    if (pkg.version !== ORT_VERSION) {
      throw new Error(
        `installed version is "${pkg.version}", expected "${ORT_VERSION}" (the private binding API is pinned)`,
      );
    }
    const bindingPath = require.resolve("onnxruntime-node/dist/binding.js");
    const binding = require(bindingPath) as RawBinding;
    // The Tensor class the binding builds its outputs with: onnxruntime-node's own dependency.
    const common = createRequire(bindingPath)("onnxruntime-common") as {
      Tensor: TensorClass;
    };
    binding.initOrt();
    loaded = { binding, Tensor: common.Tensor };
    return loaded;
  } catch (cause) {
    throw new Error(
      `Cannot load onnxruntime-node's native binding: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}

/** Options for {@linkcode createOrtSession}. */
export interface OrtSessionOptions {
  /** Intra-op threads (default: ORT's default, all physical cores). */
  readonly threads?: number;
  /** Graph optimisation level (default "all"). */
  readonly optimization?: "disabled" | "basic" | "extended" | "all";
  /**
   * Keep freed buffers in ORT's arena for reuse (default true). The arena
   * never shrinks, so many sessions with large shapes should turn it off.
   */
  readonly arena?: boolean;
  /**
   * Let idle pool threads spin after a run (default true, ORT's default).
   * Spinning threads take the cores the JS thread needs for the typed-array
   * kernels that run between ORT calls.
   */
  readonly spin?: boolean;
}

/** A loaded ORT session that runs synchronously. */
export interface OrtSession {
  /** Graph input names, in order. */
  readonly inputNames: readonly string[];
  /** Graph output names, in order. */
  readonly outputNames: readonly string[];
  /**
   * Runs the graph.
   *
   * @param feeds every graph input by name
   * @param outputs output names to compute, or a map from output name to a
   *   pre-allocated tensor (written in place) or null (allocated by ORT)
   * @returns the outputs by name
   */
  run(
    feeds: Record<string, OrtTensor>,
    outputs?: readonly string[] | Record<string, OrtTensor | null>,
  ): Record<string, { dims: readonly number[]; data: Float32Array }>;
  /** Releases the native session; later calls to `run` throw. */
  dispose(): void;
}

/**
 * Makes an ORT tensor (no copy of `data`).
 *
 * @param data values, row-major
 * @param dims dimensions; their product must equal `data.length`
 * @returns the tensor
 * @example
 * ```ts
 * import { ortTensor } from "./ort_binding.ts";
 * ortTensor(new Float32Array(6), [2, 3]).dims; // [2, 3]
 * ```
 */
export function ortTensor(
  data: Float32Array | BigInt64Array,
  dims: readonly number[],
): OrtTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new RangeError(
      `Cannot make ORT tensor: dims [${
        dims.join(", ")
      }] hold ${size} values, expected ${data.length} (the data's length)`,
    );
  }
  const { Tensor } = load();
  return new Tensor(
    data instanceof Float32Array ? "float32" : "int64",
    data,
    dims,
  );
}

/**
 * Loads an ONNX model into a synchronous session.
 *
 * @param model serialised ModelProto
 * @param options threads, optimisation level
 * @returns the session
 * @example
 * ```ts ignore
 * const session = createOrtSession(builder.toBytes(), { threads: 2 });
 * const { y } = session.run({ x: ortTensor(data, [1, 3]) }, ["y"]);
 * session.dispose();
 * ```
 */
export function createOrtSession(
  model: Uint8Array,
  options: OrtSessionOptions = {},
): OrtSession {
  const { binding } = load();
  const session = new binding.binding.InferenceSession();
  const sessionOptions: Record<string, unknown> = {
    graphOptimizationLevel: options.optimization ?? "all",
    executionMode: "sequential",
    interOpNumThreads: 1,
    enableCpuMemArena: options.arena ?? true,
    enableMemPattern: true,
  };
  if (options.threads !== undefined) {
    sessionOptions.intraOpNumThreads = options.threads;
  }
  if (options.spin === false) {
    sessionOptions.extra = { "session.intra_op.allow_spinning": "0" };
  }
  try {
    session.loadModel(
      model.buffer as ArrayBuffer,
      model.byteOffset,
      model.byteLength,
      sessionOptions,
    );
  } catch (cause) {
    throw new Error(
      `Cannot load ONNX model (${model.byteLength} bytes) into onnxruntime: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
  const inputNames = session.inputMetadata.map((m) => m.name);
  const outputNames = session.outputMetadata.map((m) => m.name);
  let disposed = false;
  return {
    inputNames,
    outputNames,
    run(feeds, outputs = outputNames) {
      if (disposed) {
        throw new Error("Cannot run ORT session: it has been disposed");
      }
      for (const name of inputNames) {
        if (!(name in feeds)) {
          throw new RangeError(
            `Cannot run ORT session: input "${name}" is missing, expected feeds for ${
              inputNames.map((n) => `"${n}"`).join(", ")
            }`,
          );
        }
      }
      const fetches: Record<string, unknown> = {};
      if (Array.isArray(outputs)) {
        for (const name of outputs) fetches[name] = null;
      } else {
        Object.assign(fetches, outputs);
      }
      for (const name of Object.keys(fetches)) {
        if (!outputNames.includes(name)) {
          throw new RangeError(
            `Cannot run ORT session: output "${name}" does not exist, expected one of ${
              outputNames.map((n) => `"${n}"`).join(", ")
            }`,
          );
        }
      }
      try {
        return session.run(feeds, fetches, {});
      } catch (cause) {
        throw new Error(
          `Cannot run ORT session: ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
          { cause },
        );
      }
    },
    dispose() {
      if (!disposed) {
        disposed = true;
        session.dispose();
      }
    },
  };
}
