/**
 * Server-sent event streams that poll the run store: readers never block
 * the training process that writes, and a stream ends when its run ends,
 * the client leaves or the server closes.
 *
 * @module
 */

/** Sends one event: its name, JSON data and optional id (`Last-Event-ID`). */
export type SendEvent = (event: string, data: unknown, id?: number) => void;

/** Options of {@linkcode eventStream}. */
export interface EventStreamOptions {
  /**
   * End the stream when aborted (the server closing); a client that leaves
   * cancels the body, which ends it too.
   */
  readonly signals: readonly AbortSignal[];
  /** Delay between polls, in ms. */
  readonly pollMs: number;
  /** One poll: send what is new; return false to end the stream. */
  readonly tick: (send: SendEvent) => boolean;
  /** Comment line sent this often to keep idle connections open (ms). */
  readonly heartbeatMs?: number;
}

const encoder = new TextEncoder();

/** Formats one server-sent event. */
export function formatEvent(event: string, data: unknown, id?: number): string {
  const lines = JSON.stringify(data).split("\n").map((l) => `data: ${l}`);
  return `${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\n${
    lines.join("\n")
  }\n\n`;
}

/** A `text/event-stream` response driven by `tick`. */
export function eventStream(options: EventStreamOptions): Response {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  for (const signal of options.signals) {
    if (signal.aborted) stop.abort();
    signal.addEventListener("abort", onAbort, { once: true });
  }
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send: SendEvent = (event, data, id) =>
        controller.enqueue(encoder.encode(formatEvent(event, data, id)));
      let sinceBeat = 0;
      try {
        controller.enqueue(encoder.encode(": stream open\n\n"));
        while (!stop.signal.aborted) {
          if (!options.tick(send)) break;
          await sleep(options.pollMs, stop.signal);
          sinceBeat += options.pollMs;
          if (sinceBeat >= heartbeatMs) {
            sinceBeat = 0;
            controller.enqueue(encoder.encode(": keep-alive\n\n"));
          }
        }
        controller.close();
      } catch (error) {
        // The client went away mid-write: nothing left to tell it.
        if (!stop.signal.aborted) controller.error(error);
      } finally {
        for (const signal of options.signals) {
          signal.removeEventListener("abort", onAbort);
        }
      }
    },
    cancel() {
      stop.abort();
    },
  });
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    },
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
