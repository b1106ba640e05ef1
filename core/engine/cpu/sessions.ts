/**
 * A cache of ORT sessions keyed by kernel kind, shapes and attributes:
 * creating a session takes 1–4 ms, running one about 25 µs, and a network
 * at a fixed crop size needs a few dozen distinct ones. The least recently
 * used session is released beyond `maxSessions`.
 *
 * @module
 */

import {
  createOrtSession,
  type OrtSession,
  type OrtTensor,
  ortTensor,
} from "./ort_binding.ts";

/** A cached session with the output names its graph gave its results. */
export interface CachedKernel<Names> {
  /** The session. */
  readonly session: OrtSession;
  /** Output value names (e.g. `{ dx, dw, db }`). */
  readonly names: Names;
}

/** Options for {@linkcode createSessionCache}. */
export interface SessionCacheOptions {
  /** Intra-op threads per session (default: all cores). */
  readonly threads?: number;
  /** Sessions kept before the least recently used is released (default 256). */
  readonly maxSessions?: number;
}

/** The session cache. */
export interface SessionCache {
  /**
   * The session for `key`, built from `build()` on first use.
   *
   * @param key kernel kind, shapes and attributes
   * @param build returns the model and its output names
   */
  get<Names>(
    key: string,
    build: () => { model: Uint8Array; names: Names },
  ): CachedKernel<Names>;
  /** Sessions created so far (cache misses). */
  readonly created: number;
  /** Sessions currently held. */
  readonly size: number;
  /** Releases every session. */
  dispose(): void;
}

/**
 * Creates a session cache.
 *
 * @param options threads per session, cache size
 * @returns the cache
 * @example
 * ```ts ignore
 * const cache = createSessionCache({ threads: 2 });
 * const { session, names } = cache.get("conv|…", () => ({ model, names: { y } }));
 * cache.dispose();
 * ```
 */
export function createSessionCache(
  options: SessionCacheOptions = {},
): SessionCache {
  const threads = options.threads ?? navigator.hardwareConcurrency;
  const maxSessions = options.maxSessions ?? 256;
  const sessions = new Map<string, CachedKernel<unknown>>();
  let created = 0;
  return {
    get<Names>(
      key: string,
      build: () => { model: Uint8Array; names: Names },
    ): CachedKernel<Names> {
      const hit = sessions.get(key);
      if (hit !== undefined) {
        // Re-insert: Map order is the recency order.
        sessions.delete(key);
        sessions.set(key, hit);
        return hit as CachedKernel<Names>;
      }
      const { model, names } = build();
      const kernel: CachedKernel<Names> = {
        // The arena would keep every session's peak activations allocated;
        // spinning pool threads would slow the JS kernels between runs ~2×.
        session: createOrtSession(model, {
          threads,
          arena: false,
          spin: false,
        }),
        names,
      };
      created++;
      sessions.set(key, kernel);
      if (sessions.size > maxSessions) {
        const oldest = sessions.keys().next().value as string;
        sessions.get(oldest)!.session.dispose();
        sessions.delete(oldest);
      }
      return kernel;
    },
    get created() {
      return created;
    },
    get size() {
      return sessions.size;
    },
    dispose() {
      for (const kernel of sessions.values()) kernel.session.dispose();
      sessions.clear();
    },
  };
}

/**
 * Runs a session on float32 arrays, writing into pre-allocated outputs.
 *
 * @param session the session
 * @param feeds input name → values and dims
 * @param outputs output name → target array and dims
 * @returns nothing; the targets hold the results
 * @example
 * ```ts ignore
 * runInto(session, { x: [xValues, [1, 8, 8, 8, 4]] }, { [y]: [out, [1, 8, 8, 8, 4]] });
 * ```
 */
export function runInto(
  session: OrtSession,
  feeds: Record<string, readonly [Float32Array, readonly number[]]>,
  outputs: Record<string, readonly [Float32Array, readonly number[]]>,
): void {
  const feedTensors: Record<string, OrtTensor> = {};
  for (const [name, [data, dims]] of Object.entries(feeds)) {
    feedTensors[name] = ortTensor(data, dims);
  }
  const fetches: Record<string, OrtTensor> = {};
  for (const [name, [data, dims]] of Object.entries(outputs)) {
    fetches[name] = ortTensor(data, dims);
  }
  session.run(feedTensors, fetches);
}

/**
 * Reusable work buffers for kernels whose temporaries never leave the engine
 * (fresh large allocations cost page faults: about as much as a memcpy).
 */
export interface Scratch {
  /** Bytes a weight-gradient chunk buffer may take. */
  readonly chunkBytes: number;
  /**
   * A buffer of at least `length` floats for `name` (contents undefined);
   * valid until the next `get` of the same name.
   */
  get(name: string, length: number): Float32Array;
  /** Bytes held. */
  readonly bytes: number;
  /** Drops every buffer. */
  clear(): void;
}

/**
 * Creates a scratch-buffer pool.
 *
 * @param chunkBytes bound for weight-gradient chunks (default 128 MiB)
 * @returns the pool
 * @example
 * ```ts
 * import { createScratch } from "./sessions.ts";
 * const scratch = createScratch();
 * scratch.get("taps", 10).length >= 10; // true
 * ```
 */
export function createScratch(chunkBytes = 128 * 1024 * 1024): Scratch {
  const buffers = new Map<string, Float32Array>();
  return {
    chunkBytes,
    get(name, length) {
      let buffer = buffers.get(name);
      if (buffer === undefined || buffer.length < length) {
        buffer = new Float32Array(length);
        buffers.set(name, buffer);
      }
      return buffer;
    },
    get bytes() {
      let total = 0;
      for (const b of buffers.values()) total += b.byteLength;
      return total;
    },
    clear() {
      buffers.clear();
    },
  };
}
