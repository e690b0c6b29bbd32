/**
 * Counting a pair's distinct calls in an hour by their event ids, in bounded space. Events reach EventBridge at least
 * once, and EventBridge retries a target for up to 24 hours
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-delivery-level.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html): a redelivered event repeats its
 * eventID, and must not count twice.
 *
 * The first `exactUpTo` ids are kept as 32-bit fingerprints: counted exactly. Past that, the hour becomes a HyperLogLog
 * sketch of 2^10 four-bit registers (Flajolet et al., 2007), whose standard error is 1.04/sqrt(1024), about 3.3%: a
 * duplicate never changes it, and it stays 512 bytes whatever the number of calls (four bits count to 2^15 calls a
 * register, 33 million an hour). Both are one binary attribute: the hour (4 bytes), a tag, then the fingerprints or the
 * registers. DynamoDB bills a binary attribute by its bytes
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html), so a busy pair's
 * item stays under the 1 KB of one write unit.
 */

const precision = 10;
const registerCount = 1 << precision;
/** Fingerprints kept before the sketch takes over: 64 of 4 bytes. */
export const exactUpTo = 64;
/** Rank of the first set bit in the 22 bits after the register index, capped to what four bits hold. */
const maxRank = 15;
const exactTag = 1;
const sketchTag = 2;
const headerBytes = 5;
const alpha = 0.7213 / (1 + 1.079 / registerCount);

/** A 32-bit hash of an event id: FNV-1a, then MurmurHash3's finaliser so every bit depends on every character. */
export const fingerprintOf = (eventId: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < eventId.length; i++) {
    h ^= eventId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

const registerOf = (fingerprint: number) => fingerprint >>> (32 - precision);
const rankOf = (fingerprint: number) => Math.min(Math.clz32((fingerprint << precision) >>> 0) + 1, maxRank);

/** One hour's distinct calls. */
export class DistinctCalls {
  private exact: Set<number> | undefined = new Set();
  private registers: Uint8Array | undefined;
  /**
   * The sketch in its binary form, kept up to date register by register: a busy pair's event changes a nibble, not a
   * fresh 517-byte copy.
   */
  private packed: Uint8Array | undefined;
  /** Sum of 2^-register and the count of zero registers, kept so an estimate costs nothing. */
  private inverseSum = registerCount;
  private zeros = registerCount;

  private constructor(readonly hour: number) {}

  static empty(hour: number): DistinctCalls {
    return new DistinctCalls(hour);
  }

  /** Read from its binary form; undefined when it is not one this code writes (an older layout, or damage). */
  static fromBytes(bytes: Uint8Array): DistinctCalls | undefined {
    if (bytes.length < headerBytes) return undefined;
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const calls = new DistinctCalls(view.readUInt32BE(0));
    const tag = view[4];
    const body = view.subarray(headerBytes);
    if (tag === exactTag) {
      if (body.length % 4 !== 0 || body.length / 4 > exactUpTo) return undefined;
      for (let i = 0; i < body.length; i += 4) calls.exact!.add(body.readUInt32BE(i));
      return calls;
    }
    if (tag !== sketchTag || body.length !== registerCount / 2) return undefined;
    calls.toSketch();
    for (let i = 0; i < registerCount / 2; i++) {
      calls.raise(2 * i, body[i]! >> 4);
      calls.raise(2 * i + 1, body[i]! & 0x0f);
    }
    return calls;
  }

  /** Whether this id would change the count (always true in the sketch unless it changes no register). */
  isNew(fingerprint: number): boolean {
    if (this.exact) return !this.exact.has(fingerprint);
    return this.registers![registerOf(fingerprint)]! < rankOf(fingerprint);
  }

  /** The count with this id added, without adding it. */
  countWith(fingerprint: number): number {
    if (!this.isNew(fingerprint)) return this.count();
    if (this.exact) return this.exact.size + 1;
    const index = registerOf(fingerprint);
    const before = this.registers![index]!;
    const after = rankOf(fingerprint);
    return estimate(this.inverseSum - 2 ** -before + 2 ** -after, this.zeros - (before === 0 ? 1 : 0));
  }

  /** Adds an id; true when the count may have changed (the text form then needs writing). */
  add(fingerprint: number): boolean {
    if (!this.isNew(fingerprint)) return false;
    if (this.exact) {
      this.exact.add(fingerprint);
      if (this.exact.size <= exactUpTo) return true;
      const kept = this.exact;
      this.toSketch();
      for (const one of kept) this.raise(registerOf(one), rankOf(one));
      return true;
    }
    this.raise(registerOf(fingerprint), rankOf(fingerprint));
    return true;
  }

  count(): number {
    return this.exact ? this.exact.size : estimate(this.inverseSum, this.zeros);
  }

  /** Whether the count is exact (few calls) or estimated by the sketch. */
  get isExact(): boolean {
    return this.exact !== undefined;
  }

  /** The binary form: a new array while exact; the sketch's own array, changed in place, after. */
  toBytes(): Uint8Array {
    if (this.packed) return this.packed;
    const bytes = Buffer.alloc(headerBytes + this.exact!.size * 4);
    bytes.writeUInt32BE(this.hour, 0);
    bytes[4] = exactTag;
    let offset = headerBytes;
    for (const one of this.exact!) offset = bytes.writeUInt32BE(one, offset);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  }

  private toSketch() {
    this.exact = undefined;
    this.registers = new Uint8Array(registerCount);
    const packed = Buffer.alloc(headerBytes + registerCount / 2);
    packed.writeUInt32BE(this.hour, 0);
    packed[4] = sketchTag;
    this.packed = new Uint8Array(packed.buffer, packed.byteOffset, packed.length);
  }

  private raise(index: number, rank: number) {
    const before = this.registers![index]!;
    if (rank <= before) return;
    this.inverseSum += 2 ** -rank - 2 ** -before;
    if (before === 0) this.zeros -= 1;
    this.registers![index] = rank;
    const at = headerBytes + (index >> 1);
    const packed = this.packed!;
    packed[at] = index & 1 ? (packed[at]! & 0xf0) | rank : (packed[at]! & 0x0f) | (rank << 4);
  }
}

/** HyperLogLog's estimate, with linear counting while registers are still empty (small counts, where it is better). */
const estimate = (inverseSum: number, zeros: number): number => {
  const raw = (alpha * registerCount * registerCount) / inverseSum;
  if (raw <= 2.5 * registerCount && zeros > 0) return Math.round(registerCount * Math.log(registerCount / zeros));
  // 32-bit hashes: past 2^32/30 distinct ids, collisions make the raw estimate fall short.
  const two32 = 2 ** 32;
  if (raw > two32 / 30) return Math.round(-two32 * Math.log(1 - raw / two32));
  return Math.round(raw);
};
