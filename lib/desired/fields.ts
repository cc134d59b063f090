// Field names for errors raised deep down: a lower layer names "mtu" or
// "peers[0].mac"; the caller knows it was "vxlan.mtu" or "overlay.peers[0].mac".
import { errorUnderField } from '../protocol/errors.js';

/** Runs `fn`; a ValidationError it throws is re-thrown with its field under `prefix`. */
export function underField<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw errorUnderField(err, prefix);
  }
}

/** A JSON-style object: not null, not an array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
