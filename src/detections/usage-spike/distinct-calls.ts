/**
 * Counting a pair's distinct calls in an hour by their event ids, in bounded space. Events reach EventBridge at least
 * once, and EventBridge retries a target for up to 24 hours
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-delivery-level.html,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html): a redelivered event repeats its
 * eventID, and must not count twice.
 *
 * The first `exactUpTo` ids are kept as 32-bit fingerprints: counted exactly. Past that, the hour becomes a HyperLogLog
 * sketch of 2^10 registers (Flajolet et al., 2007), whose standard error is 1.04/sqrt(1024), about 3.3%: a duplicate
 * never changes it, and it stays 1,024 bytes whatever the number of calls. Both are written as one text attribute,
 * `<hour>:x<base64>` or `<hour>:h<base64>`, so a quiet pair's memory stays a few hundred bytes.
 */

const precision = 10;
const registerCount = 1 << precision;
/** Fingerprints kept before the sketch takes over: 64 of 4 bytes, 344 characters of base64. */
export const exactUpTo = 64;
/** Rank of the first set bit in the 22 bits after the register index, 1 to 23. */
const maxRank = 32 - precision + 1;
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
  /** Sum of 2^-register and the count of zero registers, kept so an estimate costs nothing. */
  private inverseSum = registerCount;
  private zeros = registerCount;

  private constructor(readonly hour: number) {}

  static empty(hour: number): DistinctCalls {
    return new DistinctCalls(hour);
  }

  /** Read from its text form; undefined when the text is not one this code writes (an older layout, or damage). */
  static parse(text: string): DistinctCalls | undefined {
    const match = /^(\d+):([xh])([A-Za-z0-9+/=]*)$/.exec(text);
    if (!match) return undefined;
    const calls = new DistinctCalls(Number(match[1]));
    const bytes = Buffer.from(match[3]!, 'base64');
    if (match[2] === 'x') {
      if (bytes.length % 4 !== 0 || bytes.length / 4 > exactUpTo) return undefined;
      for (let i = 0; i < bytes.length; i += 4) calls.exact!.add(bytes.readUInt32BE(i));
      return calls;
    }
    if (bytes.length !== registerCount) return undefined;
    calls.exact = undefined;
    calls.registers = new Uint8Array(registerCount);
    for (let i = 0; i < registerCount; i++) calls.raise(i, Math.min(bytes[i]!, maxRank));
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
      this.exact = undefined;
      this.registers = new Uint8Array(registerCount);
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

  toText(): string {
    if (this.exact) {
      const bytes = Buffer.alloc(this.exact.size * 4);
      let offset = 0;
      for (const one of this.exact) offset = bytes.writeUInt32BE(one, offset);
      return `${this.hour}:x${bytes.toString('base64')}`;
    }
    return `${this.hour}:h${Buffer.from(this.registers!).toString('base64')}`;
  }

  private raise(index: number, rank: number) {
    const before = this.registers![index]!;
    if (rank <= before) return;
    this.inverseSum += 2 ** -rank - 2 ** -before;
    if (before === 0) this.zeros -= 1;
    this.registers![index] = rank;
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
