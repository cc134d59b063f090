// What a MessageWriter leaves behind: a record per finished message (where it
// sits, what it does, which attribute came from which of the caller's fields),
// and the MessageSource view that Connection.batch sends from. When the kernel
// points at an attribute by offset in its extended ack, fieldAt() names the field.

/**
 * The named attributes of every message in a writer, as two flat lists (no
 * object per attribute: a batch of 50k messages has ~200k of them).
 */
export interface FieldTable {
  /** Offset of the attribute from the start of its message. */
  offsets: number[];
  names: string[];
}

/** One finished message inside a writer's buffer. */
export interface WrittenMessage {
  start: number;
  length: number;
  /** This message's named attributes are fields.*[fieldFrom, fieldTo), for extack mapping. */
  fields: FieldTable;
  fieldFrom: number;
  fieldTo: number;
  /** What the message does, for error text: "create link vxlan42". */
  what: string;
  /**
   * Prepended to every field name of this message ("ops[7]."): a batch names
   * its attributes once per message instead of building a string per attribute.
   */
  fieldPrefix?: string;
}

/**
 * Messages laid out back to back in one buffer, read by position: what
 * Connection.batch sends. A MessageWriter is one; a long IPVS batch encoded
 * as it is checked is another, with no object per message (steps.ts).
 */
export interface MessageSource {
  readonly count: number;
  /** The bytes holding the messages (message i is `lengthOf(i)` bytes at `startOf(i)`). */
  view(): Buffer;
  startOf(i: number): number;
  lengthOf(i: number): number;
  /** Message i's record (its text, its field names): it may be made on demand, so read it only for an error. */
  message(i: number): WrittenMessage;
}

/** Says what a message does; read only when the text is needed (an error), see endLabelled(). */
export interface MessageLabel {
  readonly what: string;
  /** See WrittenMessage.fieldPrefix; also read only for an error. */
  readonly fieldPrefix?: string;
}

/** A WrittenMessage whose `what` and `fieldPrefix` come from its label, when asked for. */
export class LabelledMessage implements WrittenMessage {
  constructor(
    readonly start: number,
    readonly length: number,
    readonly fields: FieldTable,
    readonly fieldFrom: number,
    readonly fieldTo: number,
    private readonly label: MessageLabel,
  ) {}

  get what(): string {
    return this.label.what;
  }

  get fieldPrefix(): string | undefined {
    return this.label.fieldPrefix;
  }
}

/** A message's named attributes as {offset, field} pairs (for tests and diagnostics). */
export function fieldsOf(m: WrittenMessage): Array<{ offset: number; field: string }> {
  const out: Array<{ offset: number; field: string }> = [];
  for (let i = m.fieldFrom; i < m.fieldTo; i++) out.push({ offset: m.fields.offsets[i]!, field: (m.fieldPrefix ?? '') + m.fields.names[i]! });
  return out;
}

/** The caller's field name for the attribute at `offset` (or the innermost one containing it). */
export function fieldAt(m: WrittenMessage, offset: number): string | undefined {
  let best = -1;
  let field: string | undefined;
  for (let i = m.fieldFrom; i < m.fieldTo; i++) {
    const at = m.fields.offsets[i]!;
    if (at <= offset && at > best) {
      best = at;
      field = m.fields.names[i];
    }
  }
  return field === undefined || m.fieldPrefix === undefined ? field : m.fieldPrefix + field;
}
