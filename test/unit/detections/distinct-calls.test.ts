import { DistinctCalls, exactUpTo, fingerprintOf } from '../../../src/detections/usage-spike/distinct-calls';

const ids = (count: number, prefix = 'e') =>
  Array.from({ length: count }, (_, i) => `${prefix}${i.toString(16).padStart(8, '0')}-4b1d-4e2a-9f00-000000000000`);

const counted = (eventIds: string[]) => {
  const calls = DistinctCalls.empty(1);
  for (const id of eventIds) calls.add(fingerprintOf(id));
  return calls;
};

describe('distinct calls in an hour', () => {
  it(`counts exactly up to ${exactUpTo} calls, a redelivered one once`, () => {
    const some = ids(exactUpTo);
    const calls = counted([...some, ...some]);
    expect({ count: calls.count(), exact: calls.isExact }).toEqual({ count: exactUpTo, exact: true });
  });

  it('estimates past that within 10% (three standard errors) over many sizes, duplicates changing nothing', () => {
    for (const size of [65, 200, 999, 1000, 5000, 30_000, 200_000]) {
      const unique = ids(size, `s${size}-`);
      const once = counted(unique);
      const twice = counted([...unique, ...unique.slice(0, size / 2)]);
      expect([size, once.isExact]).toEqual([size, false]);
      expect(twice.count()).toBe(once.count());
      expect([size, Math.abs(once.count() - size) / size < 0.1]).toEqual([size, true]);
    }
  });

  it('says whether an event would count, and what the count would then be, without counting it', () => {
    const calls = counted(ids(500));
    const seen = fingerprintOf(ids(500)[17]!);
    // An id that raises a register (most do at this size): one that would not is no test of countWith.
    const fresh = [...Array(100).keys()].map((i) => fingerprintOf(`a-new-event-${i}`)).find((f) => calls.isNew(f))!;
    expect(calls.isNew(fresh)).toBe(true);
    expect(calls.isNew(seen)).toBe(false);
    expect(calls.countWith(seen)).toBe(calls.count());
    const before = calls.count();
    const would = calls.countWith(fresh);
    expect(would).toBeGreaterThan(before);
    expect(calls.count()).toBe(before);
    calls.add(fresh);
    expect(calls.count()).toBe(would);
  });

  it('reads back what it writes, in both forms', () => {
    for (const size of [0, 10, exactUpTo, exactUpTo + 1, 3000, 200_000]) {
      const calls = counted(ids(size));
      const again = DistinctCalls.fromBytes(calls.toBytes())!;
      expect([size, again.hour, again.count(), again.isExact]).toEqual([size, 1, calls.count(), calls.isExact]);
    }
    // The hour and a tag, then 64 fingerprints of 4 bytes, or 1,024 four-bit registers.
    expect(counted(ids(exactUpTo)).toBytes().length).toBe(5 + 256);
    expect(counted(ids(3000)).toBytes().length).toBe(5 + 512);
  });

  it('refuses bytes it did not write', () => {
    const header = (tag: number) => [0, 0, 0, 12, tag];
    for (const bytes of [
      [],
      [0, 0, 0],
      [...header(1), 1, 2, 3],
      [...header(2), ...Array(10).fill(0)],
      [...header(9)],
    ]) {
      expect([bytes, DistinctCalls.fromBytes(Uint8Array.from(bytes))]).toEqual([bytes, undefined]);
    }
  });
});
