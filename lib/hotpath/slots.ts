// Stable slots for things that come and go between polls (IPVS services,
// destinations). A slot is found from the thing's identity (a few u32 words
// copied from the kernel's bytes) through an open-addressing hash table in
// typed arrays, so finding or keeping a slot allocates nothing. Only a new
// thing (a new slot, maybe a larger table) allocates.
//
// Rules: a slot freed in a poll is reused at the earliest in the next one, so
// after a poll the keys of removed slots are still readable; every (re)use
// bumps the slot's generation, so a consumer holding (slot, generation) can
// tell a reused slot from the thing it knew.

const EMPTY = -1;

/** Lists of slots added and removed by the last poll(s) since the lists were last cleared. */
export interface SlotChanges {
  /** Slots that got a new occupant; the first `addedCount` entries are valid. */
  readonly added: Int32Array;
  readonly addedCount: number;
  /** Slots whose occupant vanished; their keys stay readable until the next poll. */
  readonly removed: Int32Array;
  readonly removedCount: number;
}

function hashWords(words: Uint32Array, from: number, count: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < count; i++) h = Math.imul(h ^ words[from + i]!, 0x01000193);
  // 30 bits: a small integer, never a heap number when returned from a call.
  return (h ^ (h >>> 15)) & 0x3fffffff;
}

export class SlotTable implements SlotChanges {
  /** Scratch identity: callers fill it, then call claim(). */
  readonly key: Uint32Array;
  capacity: number;
  /** Slots below this index have been used at least once; iterate 0..highWater and check live. */
  highWater = 0;
  /** Live slots. */
  count = 0;
  live: Uint8Array;
  generation: Uint32Array;
  added: Int32Array;
  addedCount = 0;
  removed: Int32Array;
  removedCount = 0;

  private ids: Uint32Array;
  private seenAt: Uint32Array;
  private bornAt: Uint32Array;
  private hash: Int32Array;
  private free: Int32Array;
  private freeCount = 0;
  private stamp = 0;

  /**
   * @param words identity length in u32 words
   * @param onGrow called with the new capacity after the table grew, so owners grow their arrays
   */
  constructor(
    readonly words: number,
    capacity: number,
    private readonly onGrow: (capacity: number, previous: number) => void,
  ) {
    this.key = new Uint32Array(words);
    this.capacity = Math.max(4, capacity);
    this.live = new Uint8Array(this.capacity);
    this.generation = new Uint32Array(this.capacity);
    this.added = new Int32Array(this.capacity * 2);
    this.removed = new Int32Array(this.capacity * 2);
    this.ids = new Uint32Array(this.capacity * words);
    this.seenAt = new Uint32Array(this.capacity);
    this.bornAt = new Uint32Array(this.capacity);
    this.free = new Int32Array(this.capacity);
    this.hash = new Int32Array(hashSize(this.capacity)).fill(EMPTY);
  }

  /** Starts a poll; with `clearChanges`, the added/removed lists start empty. */
  begin(clearChanges: boolean): void {
    this.stamp = (this.stamp + 1) >>> 0 || 1;
    if (clearChanges) {
      this.addedCount = 0;
      this.removedCount = 0;
    }
  }

  /** True when `slot` got its occupant in the current poll (it has no earlier sample). */
  isNew(slot: number): boolean {
    return this.bornAt[slot] === this.stamp;
  }

  /** Identity word `i` of a slot. */
  idWord(slot: number, i: number): number {
    return this.ids[slot * this.words + i]!;
  }

  /** The slot holding `key`, or -1. */
  find(): number {
    const mask = this.hash.length - 1;
    const w = this.words;
    for (let i = hashWords(this.key, 0, w) & mask; ; i = (i + 1) & mask) {
      const slot = this.hash[i]!;
      if (slot === EMPTY) return -1;
      if (this.sameKey(slot)) return slot;
    }
  }

  /** The slot of `key`, marked seen in this poll; a new one (recorded in `added`) if it had none. */
  claim(): number {
    let slot = this.find();
    if (slot < 0) slot = this.insert();
    this.seenAt[slot] = this.stamp;
    return slot;
  }

  /** Marks a live slot seen in this poll without looking it up. */
  keep(slot: number): void {
    this.seenAt[slot] = this.stamp;
  }

  /**
   * Ends a poll: live slots not seen in it are removed (listed in `removed`,
   * freed for the next poll). Returns how many were removed.
   */
  sweep(): number {
    let removed = 0;
    for (let slot = 0; slot < this.highWater; slot++) {
      if (this.live[slot] === 1 && this.seenAt[slot] !== this.stamp) {
        this.live[slot] = 0;
        this.count--;
        if (this.removedCount === this.removed.length) this.removed = grown(this.removed, new Int32Array(this.removed.length * 2));
        this.removed[this.removedCount++] = slot;
        this.free[this.freeCount++] = slot;
        removed++;
      }
    }
    if (removed > 0) this.rehash();
    return removed;
  }

  /** Keeps the live slots whose `owner` entry is `ownerSlot` as if seen (their listing failed or was interrupted). */
  keepWhere(owner: Int32Array, ownerSlot: number): void {
    for (let slot = 0; slot < this.highWater; slot++) {
      if (this.live[slot] === 1 && owner[slot] === ownerSlot) this.seenAt[slot] = this.stamp;
    }
  }

  /** Keeps every live slot (nothing is removed by the next sweep). */
  keepAll(): void {
    for (let slot = 0; slot < this.highWater; slot++) if (this.live[slot] === 1) this.seenAt[slot] = this.stamp;
  }

  private sameKey(slot: number): boolean {
    const w = this.words;
    const base = slot * w;
    for (let i = 0; i < w; i++) if (this.ids[base + i] !== this.key[i]) return false;
    return true;
  }

  private insert(): number {
    let slot: number;
    if (this.freeCount > 0) {
      slot = this.free[--this.freeCount]!;
    } else {
      if (this.highWater === this.capacity) this.grow();
      slot = this.highWater++;
    }
    this.ids.set(this.key, slot * this.words);
    this.live[slot] = 1;
    this.generation[slot] = (this.generation[slot]! + 1) >>> 0;
    this.bornAt[slot] = this.stamp;
    this.count++;
    // A slot removed earlier and added again in one listing window is listed in both.
    if (this.addedCount === this.added.length) this.added = grown(this.added, new Int32Array(this.added.length * 2));
    this.added[this.addedCount++] = slot;
    this.place(slot);
    return slot;
  }

  private place(slot: number): void {
    const mask = this.hash.length - 1;
    let i = hashWords(this.ids, slot * this.words, this.words) & mask;
    while (this.hash[i] !== EMPTY) i = (i + 1) & mask;
    this.hash[i] = slot;
  }

  private rehash(): void {
    this.hash.fill(EMPTY);
    for (let slot = 0; slot < this.highWater; slot++) if (this.live[slot] === 1) this.place(slot);
  }

  private grow(): void {
    const previous = this.capacity;
    const capacity = previous * 2;
    this.capacity = capacity;
    this.live = grown(this.live, new Uint8Array(capacity));
    this.generation = grown(this.generation, new Uint32Array(capacity));
    this.ids = grown(this.ids, new Uint32Array(capacity * this.words));
    this.seenAt = grown(this.seenAt, new Uint32Array(capacity));
    this.bornAt = grown(this.bornAt, new Uint32Array(capacity));
    this.free = grown(this.free, new Int32Array(capacity));
    this.hash = new Int32Array(hashSize(capacity)).fill(EMPTY);
    this.rehash();
    this.onGrow(capacity, previous);
  }
}

function hashSize(capacity: number): number {
  let size = 16;
  while (size < capacity * 2) size *= 2;
  return size;
}

/** Copies `from` into the start of `to` and returns `to`. */
export function grown<T extends Uint8Array | Uint32Array | Int32Array | Float64Array | BigUint64Array>(from: T, to: T): T {
  (to as Uint8Array).set(from as Uint8Array);
  return to;
}
