import { changeBetween, entryFrom, isEmptyChange } from '../../../src/state/memory-changes';

describe('detection memory as changes', () => {
  it('adds what counters gained, sets what maps gained, sets first times only if absent, removes what went', () => {
    const change = changeBetween(
      'pair',
      { firstSeen: 1, sources: { a: 1 }, hourly: { '10': 4, '3': 9 }, spikeAlertedHour: 2 },
      { firstSeen: 1, sources: { a: 1, b: 6 }, hourly: { '10': 7, '11': 1 }, spikeAlertedHour: 11 },
    );
    expect(change).toEqual({
      add: [
        ['hourly.10', 3],
        ['hourly.11', 1],
      ],
      set: [['spikeAlertedHour', 11]],
      setIfAbsent: [['sources.b', 6]],
      remove: ['hourly.3'],
    });
  });

  it('writes a new entry whole, its first time set only if another writer has not set one', () => {
    expect(changeBetween('key', undefined, { firstSeen: 5 })).toEqual({
      add: [],
      set: [],
      setIfAbsent: [['firstSeen', 5]],
      remove: [],
    });
    const principal = changeBetween('principal', undefined, {
      denied: { 'event-1': 10 },
      enumerated: {},
      refusedReads: {},
      keysUsed: { 'arn:aws:kms:us-east-1:1:key/k': 3 },
      reported: {},
    });
    expect(principal.set).toEqual([
      ['denied.event-1', 10],
      ['keysUsed.arn:aws:kms:us-east-1:1:key/k', 3],
    ]);
  });

  it("sets usage-spike's distinct calls whole, as binary compared by content, and reads them back only as binary", () => {
    const before = { firstSeen: 1, sources: {}, hourly: {}, callsThisHour: Uint8Array.from([0, 0, 0, 10, 1]) };
    const after = {
      firstSeen: 1,
      sources: {},
      hourly: {},
      callsThisHour: Uint8Array.from([0, 0, 0, 10, 1, 0, 0, 0, 7]),
    };
    expect(changeBetween('pair', before, after).set).toEqual([['callsThisHour', after.callsThisHour]]);
    // The same bytes in another array (as read back, or cloned) are no change.
    expect(isEmptyChange(changeBetween('pair', after, structuredClone(after)))).toBe(true);
    expect(entryFrom('pair', { firstSeen: 1, callsThisHour: Uint8Array.from([0, 0, 0, 10, 1]) })).toMatchObject({
      callsThisHour: Uint8Array.from([0, 0, 0, 10, 1]),
    });
    // A number or text where binary belongs, or binary where a number does, is not this layout: left out.
    expect(entryFrom('pair', { firstSeen: 1, callsThisHour: '10:x', spikeAlertedHour: Uint8Array.from([1]) })).toEqual({
      firstSeen: 1,
      sources: {},
      hourly: {},
    });
  });

  it('is empty when nothing changed, and a removed scalar is removed', () => {
    const same = { firstSeen: 1, sources: { a: 1 }, hourly: { '1': 1 } };
    expect(isEmptyChange(changeBetween('pair', same, structuredClone(same)))).toBe(true);
    expect(
      changeBetween('principal', { denied: {}, enumerated: {}, deniedAlertedAt: 4 }, { denied: {}, enumerated: {} })
        .remove,
    ).toEqual(['deniedAlertedAt']);
  });

  it('reads an entry back from its attributes, map names with dots and colons whole, and nothing else', () => {
    expect(
      entryFrom('pair', {
        pk: 'MEMORY#PAIR#k#p',
        sk: 'MEMORY',
        expiresAt: 99,
        'applied.shardId-000000000001': '000149',
        firstSeen: 1,
        'sources.192.0.2.1': 2,
        'sources.vpce-1a2b': 3,
        'hourly.10': 4,
        // An older layout's whole-value attribute, and a field of another kind: left out.
        value: { firstSeen: 0 },
        denied: 7,
      }),
    ).toEqual({ firstSeen: 1, sources: { '192.0.2.1': 2, 'vpce-1a2b': 3 }, hourly: { '10': 4 } });
    expect(entryFrom('principal', { pk: 'x', sk: 'MEMORY', expiresAt: 1 })).toBeUndefined();
    expect(entryFrom('principal', { 'keysUsed.arn:aws:kms:us-east-1:1:key/k': 3 })).toEqual({
      denied: {},
      enumerated: {},
      refusedReads: {},
      keysUsed: { 'arn:aws:kms:us-east-1:1:key/k': 3 },
      reported: {},
    });
  });
});
