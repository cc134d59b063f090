// A look inside a Connection for the fault tests: what it still holds after
// aborts, closes and errors. (Private fields: read only, never changed.)
import type { Connection } from '../../lib/protocol/connection.js';

export interface ConnectionState {
  /** Requests still awaited. */
  pending: number;
  /** Messages sent and not yet answered (the send window). */
  inFlight: number;
  /** Sequence number of the dump the kernel is still sending, or -1. */
  dumpRunning: number;
  /** Dumps waiting for the socket's one dump slot. */
  dumpQueue: number;
  /** Calls holding the process alive (uv_ref). */
  refs: number;
}

export function connectionState(conn: Connection): ConnectionState {
  const c = conn as unknown as {
    pending: Map<number, unknown>;
    window: { inFlight: number };
    dumps: { running: number; queue: unknown[] };
    transport: { refs: number };
  };
  return { pending: c.pending.size, inFlight: c.window.inFlight, dumpRunning: c.dumps.running, dumpQueue: c.dumps.queue.length, refs: c.transport.refs };
}

/** Waits until the connection holds nothing (late replies of aborted calls drained), or fails after `ms`. */
export async function settled(conn: Connection, ms = 5000): Promise<ConnectionState> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = connectionState(conn);
    if ((s.pending === 0 && s.inFlight === 0 && s.dumpRunning === -1 && s.dumpQueue === 0 && s.refs === 0) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const IDLE: ConnectionState = { pending: 0, inFlight: 0, dumpRunning: -1, dumpQueue: 0, refs: 0 };
