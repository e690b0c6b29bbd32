import { documentClient } from '../../src/aws/clients';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { DynamoDbCircuitBreaker } from '../../src/aws/dynamodb-circuit-breaker';
import { DynamoDbKeyStateJournal } from '../../src/aws/dynamodb-key-journals';
import { StateConflictError } from '../../src/errors';
import type { Incident } from '../../src/incidents/incident';
import type { IncidentStore } from '../../src/incidents/incident-store';
import { incidentFrom } from '../support/incidents';
import { describeIncidentStore } from '../support/incident-store-contract';
import { provisionResponderStack } from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';
import { record } from '../support/records';

const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * The store as the functions use it, each call with the role of the function that makes it: what a decision writes
 * with the approvals function's role (dynamodb:LeadingKeys keeps it to incident, nonce and audit items), carrying it
 * out with the executor's, re-keying with the re-key step's, the index reads with the reminders function's (by
 * status) and the operator's (by key, the CLI); everything else (opening, groups, containment) with the responder's.
 */
const storeAsTheFunctionsUseIt = async (moto: ReturnType<typeof useMoto>, table: string): Promise<IncidentStore> => {
  const as = (name: Parameters<typeof moto.asFunction>[0]) =>
    moto.asFunction(name, () => new DynamoDbIncidentStore(documentClient(), table));
  const responder = await as('onKmsApiCall');
  const approvals = await as('approvals');
  const executor = await as('executeDecision');
  const rekey = await as('rekeyStep');
  const reminders = await as('remindPendingDecisions');
  const operator = new DynamoDbIncidentStore(documentClient(), table);
  const madeBy: Partial<Record<keyof IncidentStore, DynamoDbIncidentStore>> = {
    recordDecision: approvals,
    decide: approvals,
    giveBack: executor,
    claimExecution: executor,
    recordUndone: executor,
    completeDecision: executor,
    beginRekey: rekey,
    recordRekey: rekey,
    claimReplacementKey: rekey,
    recordResources: rekey,
    recordAcknowledgement: executor,
    listByStatus: reminders,
    markReminded: reminders,
    listByKey: operator,
  };
  return new Proxy(responder, {
    get: (target, property, receiver) => {
      const store = madeBy[property as keyof IncidentStore] ?? target;
      const value = Reflect.get(store, property, receiver) as unknown;
      return typeof value === 'function' ? value.bind(store) : value;
    },
  });
};

let contractMoto: ReturnType<typeof useMoto>;
describeIncidentStore(
  'the DynamoDB incident store, against moto',
  async () => {
    const stack = await provisionResponderStack('incident-contract');
    contractMoto.aws.useStack(stack);
    return storeAsTheFunctionsUseIt(contractMoto, stack.incidentTable);
  },
  () => {
    contractMoto = useMoto();
  },
);

describe('conditional writes in the incident table, against moto', () => {
  const moto = useMoto();
  let incidents: DynamoDbIncidentStore;
  let journal: DynamoDbKeyStateJournal;
  let breaker: DynamoDbCircuitBreaker;
  let table: string;

  beforeAll(async () => {
    const stack = await provisionResponderStack('state');
    table = stack.incidentTable;
    moto.aws.useStack(stack);
    // Written as the responder writes them, with its role.
    ({ incidents, journal, breaker } = await moto.asFunction('onKmsApiCall', () => {
      const documents = documentClient();
      return {
        incidents: new DynamoDbIncidentStore(documents, stack.incidentTable),
        journal: new DynamoDbKeyStateJournal(documents, stack.incidentTable),
        breaker: new DynamoDbCircuitBreaker(documents, stack.incidentTable, 2),
      };
    }));
  });

  /** Each test's incidents get a group of their own, unless a test shares one on purpose. */
  const incident = (eventID: string, group = `test|${eventID}`): Incident => ({
    ...incidentFrom({ ...record('ScheduleKeyDeletion.assumed-role'), eventID }),
    group,
  });

  it('records containment once: a second writer loses and learns the current state', async () => {
    const draft = incident('contain-once');
    await incidents.open(draft);
    const results = [
      { outcome: 'applied' as const, before: { state: 'PendingDeletion' }, after: { state: 'Enabled' } },
    ];

    const stored = await incidents.recordContainment(draft.id, results, '2026-11-28T12:00:01.000Z');
    const lost = await incidents.recordContainment(draft.id, [], '2026-11-28T12:00:02.000Z').catch((e: unknown) => e);

    expect(stored).toMatchObject({ status: 'contained', results });
    expect(lost).toBeInstanceOf(StateConflictError);
    expect((lost as StateConflictError<Incident>).current).toMatchObject({ status: 'contained', results });
  });

  it('keeps an incident open when an action failed', async () => {
    const draft = incident('contain-failed');
    await incidents.open(draft);
    const stored = await incidents.recordContainment(
      draft.id,
      [{ outcome: 'failed', error: 'X', message: 'y' }],
      '2026-11-28T12:00:01.000Z',
    );
    expect(stored.status).toBe('open');
  });

  it('records a notification once per status', async () => {
    const draft = incident('notify-once');
    await incidents.open(draft);
    expect(await incidents.markNotified(draft.id, 'open', 'm1', '2026-11-28T12:00:01.000Z')).toBe(true);
    expect(await incidents.markNotified(draft.id, 'open', 'm2', '2026-11-28T12:00:02.000Z')).toBe(false);
    expect(await incidents.markNotified(draft.id, 'contained', 'm3', '2026-11-28T12:00:03.000Z')).toBe(true);
    expect(await incidents.get(draft.id)).toMatchObject({ notifiedStatus: 'contained', notificationId: 'm3' });
  });

  it('refuses to mark a notification on an incident that does not exist', async () => {
    expect(await incidents.markNotified('kw-none', 'open', 'm', '2026-11-28T12:00:00.000Z')).toBe(false);
    expect(await incidents.get('kw-none')).toBeUndefined();
  });

  it('keeps the newest key state and the one before it, whatever order events arrive in', async () => {
    const change = (state: 'Enabled' | 'Disabled', eventId: string, eventTime: string) => ({
      state,
      eventId,
      eventTime,
      changedBy: 'arn:aws:iam::123456789012:role/a',
    });
    expect(await journal.record(keyArn, change('Disabled', 'e2', '2026-11-28T10:00:00.000Z'))).toBe(true);
    expect(await journal.record(keyArn, change('Enabled', 'e1', '2026-11-28T09:00:00.000Z'))).toBe(false);
    expect(await journal.record(keyArn, change('Disabled', 'e2', '2026-11-28T10:00:00.000Z'))).toBe(false);
    expect(await journal.record(keyArn, change('Enabled', 'e3', '2026-11-28T11:00:00.000Z'))).toBe(true);
    expect(await journal.history(keyArn)).toEqual({
      current: change('Enabled', 'e3', '2026-11-28T11:00:00.000Z'),
      previous: change('Disabled', 'e2', '2026-11-28T10:00:00.000Z'),
    });
  });

  it('knows nothing of a key it never saw', async () => {
    expect(await journal.history(keyArn.replace('1234abcd', 'ffffffff'))).toBeUndefined();
  });

  it('lets two incidents an hour disable keys automatically, keeps their slots on redelivery, and refuses a third', async () => {
    const at = new Date('2026-11-28T12:10:00.000Z');
    expect(await breaker.allowDisable('123456789012', 'kw-a', at)).toBe(true);
    expect(await breaker.allowDisable('123456789012', 'kw-b', at)).toBe(true);
    expect(await breaker.allowDisable('123456789012', 'kw-a', at)).toBe(true);
    expect(await breaker.allowDisable('123456789012', 'kw-c', at)).toBe(false);
    // Another account, and the next hour, have slots of their own.
    expect(await breaker.allowDisable('210987654321', 'kw-c', at)).toBe(true);
    expect(await breaker.allowDisable('123456789012', 'kw-c', new Date('2026-11-28T13:00:00.000Z'))).toBe(true);
  });

  it('lists incidents by key, newest first, and by status, oldest change first', async () => {
    const first = {
      ...incident('by-key-1'),
      createdAt: '2026-11-20T00:00:00.000Z',
      updatedAt: '2026-11-20T00:00:00.000Z',
    };
    const second = {
      ...incident('by-key-2'),
      createdAt: '2026-11-21T00:00:00.000Z',
      updatedAt: '2026-11-21T00:00:00.000Z',
      status: 'contained' as const,
    };
    await incidents.open(first);
    await incidents.open(second);
    // Listed as those who list them: the operator's CLI by key, the reminders function by status.
    const byKey = await new DynamoDbIncidentStore(documentClient(), table).listByKey(first.keyArn!);
    // Other tests in this suite opened incidents on the same key: all of them come back, newest first.
    expect(byKey.map((i) => i.createdAt)).toEqual(
      byKey
        .map((i) => i.createdAt)
        .sort()
        .reverse(),
    );
    expect(byKey.findIndex((i) => i.id === second.id)).toBeLessThan(byKey.findIndex((i) => i.id === first.id));
    expect(byKey.findIndex((i) => i.id === first.id)).toBeGreaterThanOrEqual(0);
    expect(byKey.every((i) => i.keyArn === first.keyArn)).toBe(true);
    const reminders = await moto.asFunction(
      'remindPendingDecisions',
      () => new DynamoDbIncidentStore(documentClient(), table),
    );
    const open = await reminders.listByStatus(['open'], '2026-11-20T12:00:00.000Z');
    expect(open.map((i) => i.id)).toContain(first.id);
    expect(open.map((i) => i.id)).not.toContain(second.id);
  });

  it('counts a repeated signal without resetting how long the incident has waited', async () => {
    const draft = incident('repeat');
    await incidents.open(draft);
    const repeated = await incidents.recordRepeat(
      draft.id,
      { ...draft.signal, evidence: { count: 2 } },
      '2026-11-28T15:00:00.000Z',
    );
    expect(repeated).toMatchObject({
      occurrences: 1,
      lastSeenAt: '2026-11-28T15:00:00.000Z',
      lastEvidence: { count: 2 },
      updatedAt: draft.updatedAt,
    });
    await expect(incidents.recordRepeat('kw-none', draft.signal, '2026-11-28T15:00:00.000Z')).rejects.toThrow(
      StateConflictError,
    );
  });
});
