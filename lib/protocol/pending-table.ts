// Requests awaiting their answer, by sequence number. Sequence numbers are
// handed out one after another and answered nearly in order, so almost every
// request sits in a ring indexed by the low bits of its number; the rare one
// whose slot is still taken (a dump or a request still waiting while
// thousands of others went by) goes to a Map. A Map alone allocated a new
// hash table every couple of thousand requests as it grew and shrank: ~5 MB
// of a 50k-request batch's garbage in its heap profile under UML, where every
// fresh page costs a fault.

export class PendingTable<T extends { readonly seq: number }> {
  private readonly slots: Array<T | undefined>;
  private readonly mask: number;
  private readonly overflow = new Map<number, T>();
  private count = 0;

  /** `slots` should exceed the most requests in flight (the ack window): a power of two. */
  constructor(slots: number) {
    if (slots <= 0 || (slots & (slots - 1)) !== 0) throw new RangeError('PendingTable: slots must be a power of two');
    this.slots = new Array<T | undefined>(slots).fill(undefined);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  get(seq: number): T | undefined {
    const p = this.slots[seq & this.mask];
    if (p !== undefined && p.seq === seq) return p;
    return this.overflow.size === 0 ? undefined : this.overflow.get(seq);
  }

  /** Adds a request; its sequence number must not be pending already. */
  add(p: T): void {
    const i = p.seq & this.mask;
    if (this.slots[i] === undefined) this.slots[i] = p;
    else this.overflow.set(p.seq, p);
    this.count++;
  }

  delete(seq: number): boolean {
    const i = seq & this.mask;
    const p = this.slots[i];
    if (p !== undefined && p.seq === seq) this.slots[i] = undefined;
    else if (!this.overflow.delete(seq)) return false;
    this.count--;
    return true;
  }

  /** Every pending request, as an array: safe to delete from the table while walking it. */
  all(): T[] {
    const out: T[] = [];
    if (this.count === 0) return out;
    for (const p of this.slots) if (p !== undefined) out.push(p);
    for (const p of this.overflow.values()) out.push(p);
    return out;
  }
}
