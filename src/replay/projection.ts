import type { Signal } from '../detections/detection';
import type { KmsApiCall } from '../events/kms-api-call';
import type { Principal } from '../events/principal';
import type { Prepared, PreparedEvent } from './prepare';

/**
 * Prepared events in the compact form that crosses threads: what the stateful detectors read of each call, as
 * indexes into a table of the batch's distinct strings (a batch's thousands of calls name a few dozen principals,
 * keys and addresses), in typed arrays moved without a copy. Signals the stateless detectors found, and events that
 * are not API calls (findings, compliance changes, malformed input), travel as they are: they are few.
 */
export interface Projection {
  strings: string[];
  /**
   * `width` cells per call: the `unique` fields, the `fields`, the principal's `principalFields`, then flags. Each is
   * an index into `strings`; -1 is undefined.
   */
  cells: Int32Array;
  at: Float64Array;
  /** Row index and the signals found for that call. */
  signals: Array<[number, Signal[]]>;
  others: Prepared[];
}

/** Fields nearly every call has its own value of: put in the table as they are, not looked up. */
const unique = ['eventId', 'eventTime'] as const satisfies ReadonlyArray<keyof KmsApiCall>;
/** Fields whose values repeat: each distinct value once in the table. */
const fields = [
  'eventSource',
  'eventName',
  'region',
  'accountId',
  'keyArn',
  'errorCode',
  'sourceIp',
  'userAgent',
  'vpcEndpointId',
  'invokedBy',
  'sharedEventId',
] as const satisfies ReadonlyArray<keyof KmsApiCall>;
const principalFields = [
  'kind',
  'arn',
  'accountId',
  'sessionArn',
  'sessionName',
  'accessKeyId',
  'path',
  'issuerArn',
] as const satisfies ReadonlyArray<keyof Principal>;
const fieldsCell = unique.length;
const principalCell = fieldsCell + fields.length;
const flagsCell = principalCell + principalFields.length;
const width = flagsCell + 1;
const succeededFlag = 1;
const byResponderFlag = 2;

const noParameters: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const noSignals: Signal[] = Object.freeze([]) as unknown as Signal[];

/** Packs prepared events; returns the projection and the buffers to transfer with it. */
export const project = (prepared: readonly Prepared[]): { projection: Projection; transfer: ArrayBuffer[] } => {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const intern = (value: string | undefined): number => {
    if (value === undefined) return -1;
    let at = index.get(value);
    if (at === undefined) {
      at = strings.length;
      strings.push(value);
      index.set(value, at);
    }
    return at;
  };
  const calls = prepared.filter(
    (item): item is { ok: true; event: Extract<PreparedEvent, { kind: 'api-call' }> } =>
      item.ok && item.event.kind === 'api-call',
  );
  const cells = new Int32Array(calls.length * width);
  const at = new Float64Array(calls.length);
  const signals: Array<[number, Signal[]]> = [];
  calls.forEach(({ event }, row) => {
    const call = event.call;
    const base = row * width;
    for (let f = 0; f < unique.length; f += 1) {
      cells[base + f] = strings.length;
      strings.push(call[unique[f]!]);
    }
    for (let f = 0; f < fields.length; f += 1) cells[base + fieldsCell + f] = intern(call[fields[f]!]);
    for (let f = 0; f < principalFields.length; f += 1)
      cells[base + principalCell + f] = intern(call.principal[principalFields[f]!]);
    cells[base + flagsCell] = (call.succeeded ? succeededFlag : 0) | (call.byResponder ? byResponderFlag : 0);
    at[row] = event.at;
    if (event.signals && event.signals.length > 0) signals.push([row, event.signals]);
  });
  const others = prepared.filter((item) => !item.ok || item.event.kind !== 'api-call');
  return {
    projection: { strings, cells, at, signals, others },
    transfer: [cells.buffer as ArrayBuffer, at.buffer as ArrayBuffer],
  };
};

/** Unpacks a projection into prepared events: API calls first, in the order packed, then the others. */
export const unproject = (projection: Projection): Prepared[] => {
  const { strings, cells, at, others } = projection;
  const signalsAt = new Map(projection.signals);
  const rows = at.length;
  const out: Prepared[] = new Array<Prepared>(rows);
  const text = (cell: number) => (cell < 0 ? undefined : strings[cell]);
  for (let row = 0; row < rows; row += 1) {
    const base = row * width;
    const principal = {
      kind: text(cells[base + principalCell]!) as Principal['kind'],
      arn: text(cells[base + principalCell + 1]!)!,
    };
    for (let f = 2; f < principalFields.length; f += 1) {
      const value = text(cells[base + principalCell + f]!);
      if (value !== undefined) (principal as Record<string, string>)[principalFields[f]!] = value;
    }
    const field = (f: number) => text(cells[base + fieldsCell + f]!);
    const flags = cells[base + flagsCell]!;
    const call: KmsApiCall = {
      eventId: strings[cells[base]!]!,
      eventTime: strings[cells[base + 1]!]!,
      eventSource: field(0)!,
      eventName: field(1)!,
      region: field(2)!,
      accountId: field(3),
      keyArn: field(4),
      errorCode: field(5),
      sourceIp: field(6),
      userAgent: field(7),
      vpcEndpointId: field(8),
      invokedBy: field(9),
      ...(field(10) === undefined ? {} : { sharedEventId: field(10) }),
      principal,
      succeeded: (flags & succeededFlag) !== 0,
      byResponder: (flags & byResponderFlag) !== 0,
      errorMessage: undefined,
      requestParameters: noParameters,
      responseElements: noParameters,
    };
    // Stateless detection already ran where the call was packed: it must not run again on what is left.
    out[row] = { ok: true, event: { kind: 'api-call', at: at[row]!, call, signals: signalsAt.get(row) ?? noSignals } };
  }
  for (const other of others) out.push(other);
  return out;
};
