import type { KeyMemory, PairMemory, PrincipalMemory } from './detection-memory';

/**
 * How a field of detection memory changes, so a store can write the change rather than the whole entry:
 * - `counters`: a map of counts; what a batch added is added (DynamoDB's ADD), whoever else added meanwhile;
 * - `map`: a map of times; an entry set is set (last writer wins), one dropped is removed;
 * - `first-map`: a map of first-seen times; an entry is set only if absent, one dropped is removed;
 * - `first`: a time set once, never moved;
 * - `scalar`: a value set (last writer wins), or removed;
 * - `bytes`: the same, for binary (an encoded value its detection reads whole: usage-spike's distinct calls), compared
 *   by content. Last writer wins is safe because one shard writes a pair: the stream's partition key is the principal.
 * Every change is one of those, so two writers of one entry never need to see each other's: no read-modify-write,
 * no version, no conflict.
 */
export type FieldKind = 'counters' | 'map' | 'first-map' | 'first' | 'scalar' | 'bytes';

export const memoryFields = {
  principal: {
    denied: 'map',
    deniedAlertedAt: 'scalar',
    enumerated: 'map',
    enumerationAlertedAt: 'scalar',
    refusedReads: 'map',
    keysUsed: 'map',
    reported: 'map',
  },
  key: { firstSeen: 'first' },
  pair: {
    firstSeen: 'first',
    sources: 'first-map',
    hourly: 'counters',
    spikeAlertedHour: 'scalar',
    callsThisHour: 'bytes',
  },
} as const satisfies {
  principal: Record<keyof PrincipalMemory, FieldKind>;
  key: Record<keyof KeyMemory, FieldKind>;
  pair: Record<keyof PairMemory, FieldKind>;
};

export type MemoryKind = keyof typeof memoryFields;

/** What one entry's change is, per attribute: a flat name (`field` or `field.entry`) and a number. */
export interface MemoryChange {
  add: Array<[string, number]>;
  set: Array<[string, number | Uint8Array]>;
  setIfAbsent: Array<[string, number]>;
  remove: string[];
}

type Flat = Record<string, number | Uint8Array | Record<string, number> | undefined>;

const isWhole = (kind: FieldKind) => kind === 'first' || kind === 'scalar' || kind === 'bytes';
const sameValue = (a: unknown, b: unknown) =>
  a === b || (a instanceof Uint8Array && b instanceof Uint8Array && Buffer.compare(a, b) === 0);

/** The attribute a map entry lives in: maps are flattened so each entry changes on its own. */
export const attributeOf = (field: string, entry?: string): string =>
  entry === undefined ? field : `${field}.${entry}`;

/**
 * The change from `before` (as read) to `after` (as detection left it), field by field as `memoryFields` says. Empty
 * when nothing changed.
 */
export const changeBetween = (kind: MemoryKind, before: object | undefined, after: object): MemoryChange => {
  const change: MemoryChange = { add: [], set: [], setIfAbsent: [], remove: [] };
  const was = (before ?? {}) as Flat;
  const now = after as Flat;
  for (const [field, fieldKind] of Object.entries(memoryFields[kind]) as Array<[string, FieldKind]>) {
    const old = was[field];
    const value = now[field];
    if (isWhole(fieldKind)) {
      if (sameValue(value, old)) continue;
      if (value === undefined) change.remove.push(field);
      else if (fieldKind === 'first') {
        if (old === undefined) change.setIfAbsent.push([field, value as number]);
      } else change.set.push([field, value as number | Uint8Array]);
      continue;
    }
    const oldMap = (old ?? {}) as Record<string, number>;
    const newMap = (value ?? {}) as Record<string, number>;
    for (const [entry, count] of Object.entries(newMap)) {
      const previous = oldMap[entry];
      if (count === previous) continue;
      const name = attributeOf(field, entry);
      if (fieldKind === 'counters') change.add.push([name, count - (previous ?? 0)]);
      else if (fieldKind === 'map') change.set.push([name, count]);
      else if (previous === undefined) change.setIfAbsent.push([name, count]);
    }
    for (const entry of Object.keys(oldMap)) if (!(entry in newMap)) change.remove.push(attributeOf(field, entry));
  }
  return change;
};

export const isEmptyChange = (change: MemoryChange): boolean =>
  change.add.length + change.set.length + change.setIfAbsent.length + change.remove.length === 0;

/**
 * An entry read back from its flat attributes (anything not a number, or not a field of the kind, is left out: a
 * store's own attributes, or an older layout), or undefined when it has none.
 */
export const entryFrom = (kind: MemoryKind, attributes: Record<string, unknown>): object | undefined => {
  const fields = memoryFields[kind] as Record<string, FieldKind>;
  const entry: Flat = {};
  let any = false;
  for (const [name, value] of Object.entries(attributes)) {
    const dot = name.indexOf('.');
    const field = dot < 0 ? name : name.slice(0, dot);
    const fieldKind = fields[field];
    if (!fieldKind) continue;
    if (fieldKind === 'bytes' ? !(value instanceof Uint8Array) : typeof value !== 'number') continue;
    if (dot < 0) {
      if (!isWhole(fieldKind)) continue;
      entry[field] = value as number | Uint8Array;
    } else {
      if (isWhole(fieldKind)) continue;
      ((entry[field] ??= {}) as Record<string, number>)[name.slice(dot + 1)] = value as number;
    }
    any = true;
  }
  if (!any) return undefined;
  // Maps a detection expects are there even when empty.
  for (const [field, fieldKind] of Object.entries(fields)) if (!isWhole(fieldKind)) entry[field] ??= {};
  return entry;
};
