// Every error nl-lvs throws is one of these. Kernel rejections look like
// Node's SystemError (code, negative errno, syscall) and keep what the kernel
// said in its extended ack; bad input is a ValidationError naming the field.
import { getSystemErrorMap } from 'node:util';

const systemErrors = getSystemErrorMap();

/** 'EEXIST' for -17 (or 17). */
export function errnoCode(errno: number): string {
  return systemErrors.get(-Math.abs(errno))?.[0] ?? `E${Math.abs(errno)}`;
}

/** libuv's text for an errno: 'file already exists'. */
export function errnoText(errno: number): string {
  return systemErrors.get(-Math.abs(errno))?.[1] ?? `errno ${Math.abs(errno)}`;
}

export interface NetlinkErrorDetails {
  /** Positive or negative errno; stored negative, as Node does. */
  errno: number;
  /** What was being done: "create link vxlan42", "add service 192.0.2.1:80/tcp". */
  operation: string;
  /** A better explanation of this errno for this operation, when the family knows one. */
  reason?: string;
  /** The kernel's extended-ack message. */
  extack?: string;
  /** Byte offset of the offending attribute inside the request (NLMSGERR_ATTR_OFFS). */
  extackOffset?: number;
  /** The caller's field that offset points at, when the request recorded one. */
  field?: string;
  syscall?: string;
}

/** The kernel rejected a request (or a syscall on the socket failed). */
export class NetlinkError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly operation: string;
  readonly extack?: string;
  readonly extackOffset?: number;
  readonly field?: string;

  constructor(d: NetlinkErrorDetails) {
    const errno = -Math.abs(d.errno);
    const code = errnoCode(errno);
    const why = d.extack ?? d.reason ?? errnoText(errno);
    const where = d.field !== undefined ? ` [field: ${d.field}]` : '';
    super(`${d.operation}: ${why}${where} (${code})`);
    this.name = 'NetlinkError';
    this.code = code;
    this.errno = errno;
    this.syscall = d.syscall ?? 'netlink';
    this.operation = d.operation;
    if (d.extack !== undefined) this.extack = d.extack;
    if (d.extackOffset !== undefined) this.extackOffset = d.extackOffset;
    if (d.field !== undefined) this.field = d.field;
  }
}

/**
 * A caller's value for an error message: JSON.stringify's text where it has
 * one, and never a throw (bigint, symbol, function, cyclic objects), so a
 * bad value always becomes the ValidationError that names it.
 */
export function showValue(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'function') return '[function]';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** Input rejected before anything was sent to the kernel. */
export class ValidationError extends TypeError {
  readonly code = 'ERR_NL_INVALID';
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'ValidationError';
  }
}

/**
 * `err` with its field put under `prefix` ("ops[3]" + "service.port"): a
 * lower layer names the field it knows, the caller the path to it. Anything
 * but a ValidationError, or one already under `prefix`, comes back as it is.
 */
export function errorUnderField(err: unknown, prefix: string): unknown {
  if (!(err instanceof ValidationError) || err.field === prefix || err.field.startsWith(`${prefix}.`)) return err;
  const detail = err.message.startsWith(`${err.field}: `) ? err.message.slice(err.field.length + 2) : err.message;
  return new ValidationError(`${prefix}.${err.field}`, detail);
}

/** Bytes from the kernel (or a fixture) that do not parse. */
export class DecodeError extends Error {
  readonly code = 'ERR_NL_DECODE';
  constructor(detail: string) {
    super(`netlink decode: ${detail}`);
    this.name = 'DecodeError';
  }
}

/**
 * A dump changed under us (NLM_F_DUMP_INTR) on every attempt. `partial` holds
 * what the last attempt read: possibly inconsistent, never passed off as whole.
 */
export class DumpInterruptedError extends Error {
  readonly code = 'ERR_NL_DUMP_INTERRUPTED';
  constructor(
    readonly operation: string,
    readonly attempts: number,
    readonly partial: unknown[],
  ) {
    super(`${operation}: the dump was interrupted by concurrent changes ${attempts} times in a row (NLM_F_DUMP_INTR)`);
    this.name = 'DumpInterruptedError';
  }
}

/** No reply within the request's timeout. */
export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(operation: string, ms: number) {
    super(`${operation}: no reply from the kernel within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/** A generic netlink family (IPVS, ...) that this kernel does not have. */
export class FamilyNotFoundError extends Error {
  readonly code = 'ENOENT';
  readonly errno = -2;
  constructor(
    readonly family: string,
    hint: string,
  ) {
    super(hint);
    this.name = 'FamilyNotFoundError';
  }
}

/** The socket was closed while the request waited. */
export class SocketClosedError extends Error {
  readonly code = 'ERR_NL_CLOSED';
  constructor(operation: string) {
    super(`${operation}: the netlink socket was closed`);
    this.name = 'SocketClosedError';
  }
}
