// A chunk of a long batch's messages, written without records into one
// reused buffer, as Connection.batch reads them (a MessageSource). One object
// serves a whole batch and is filled again for each chunk, so the chunk
// before must be answered first. Closures made per chunk were new functions to
// the JIT in every batch (startOf and lengthOf were optimized again during
// each timed batch: --trace-opt). Subclasses say how entry i is written and
// how message k is named when an error asks (by writing it again alone).
import { MessageWriter } from './writer.js';
import type { MessageSource, WrittenMessage } from './messages.js';

export abstract class MessageChunk implements MessageSource {
  count = 0;
  /** The batch's index of the chunk's first entry. */
  protected from = 0;
  private readonly out: MessageWriter;
  private readonly starts: Int32Array;

  /** `size` entries at most per chunk, of about `entryBytes` each (the buffer grows if need be). */
  constructor(size: number, entryBytes: number) {
    this.out = new MessageWriter(Math.max(4096, size * entryBytes), { fieldNames: false });
    this.starts = new Int32Array(size + 1);
  }

  /** Writes entries [from, to) of the batch, one message each, and returns this. */
  protected fillRange(from: number, to: number): this {
    const starts = this.starts;
    if (to - from >= starts.length) throw new RangeError('MessageChunk: more entries than the chunk size');
    const w = this.out;
    w.reset();
    for (let i = from; i < to; i++) {
      starts[i - from] = w.length;
      this.writeEntry(w, i);
    }
    starts[to - from] = w.length;
    this.from = from;
    this.count = to - from;
    return this;
  }

  /** Writes entry i of the batch as one whole message, ended unrecorded. */
  protected abstract writeEntry(w: MessageWriter, i: number): void;

  view(): Buffer {
    return this.out.view();
  }
  startOf(k: number): number {
    return this.starts[k]!;
  }
  lengthOf(k: number): number {
    return this.starts[k + 1]! - this.starts[k]!;
  }
  abstract message(k: number): WrittenMessage;
}
