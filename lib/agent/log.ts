// The agent's log: one JSON object per line. A change says what, to which
// object, and why:
//   {"ts":"…","action":"add","object":"destination 192.0.2.10:80 in service 198.51.100.1:80/tcp","reason":"drift: missing in kernel"}
// Everything else (start, stop, a refused configuration, a failed apply) is an
// `event` line with a level.
import type { Change, FieldChange } from '../desired/report.js';

export type LogLine = Record<string, unknown> & { ts: string };
export type LogSink = (line: LogLine) => void;

/** A sink writing JSON lines to a stream (default stdout). */
export function jsonLines(stream: { write(text: string): unknown } = process.stdout): LogSink {
  return (line) => {
    stream.write(`${JSON.stringify(line, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
  };
}

/** What an error looks like in a log line: message, and code/field/errno when it has them. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: String(err) };
  const e = err as Error & { code?: unknown; field?: unknown; errno?: unknown };
  const out: Record<string, unknown> = { error: e.message };
  if (e.code !== undefined) out.code = e.code;
  if (e.field !== undefined) out.field = e.field;
  return out;
}

export class AgentLog {
  constructor(private readonly sink: LogSink) {}

  /** One line per change made. */
  change(change: Change, reason: string, fields?: FieldChange[]): void {
    const line: LogLine = { ts: new Date().toISOString(), action: change.action, object: change.object, reason };
    if (change.reason && change.reason !== reason) line.detail = change.reason;
    if (fields?.length) line.fields = fields;
    this.sink(line);
  }

  event(level: 'info' | 'warn' | 'error', event: string, extra: Record<string, unknown> = {}): void {
    this.sink({ ts: new Date().toISOString(), level, event, ...extra });
  }
}
