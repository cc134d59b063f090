// Field names for errors raised deep down: a lower layer names "mtu" or
// "peers[0].mac"; the caller knows it was "vxlan.mtu" or "overlay.peers[0].mac".
import { ValidationError } from '../protocol/errors.js';

/** Runs `fn`; a ValidationError it throws is re-thrown with its field under `prefix`. */
export function underField<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ValidationError) || err.field === prefix || err.field.startsWith(`${prefix}.`)) throw err;
    const detail = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
    throw new ValidationError(`${prefix}.${err.field}`, detail);
  }
}

/** A JSON-style object: not null, not an array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
