import type { PlannedAction } from '../../src/actions';
import { StateConflictError } from '../../src/errors';
import type { Incident } from '../../src/incidents/incident';
import type { IncidentStore } from '../../src/incidents/incident-store';
import { incidentFrom } from './incidents';
import { record } from './records';

/**
 * What every incident store must do, run against each of them: the DynamoDB one against moto, the in-memory one
 * that replay and unit tests use. A store that passes here keeps the same conditions as the others.
 */
export const describeIncidentStore = (
  name: string,
  makeStore: () => Promise<IncidentStore>,
  setup: () => void = () => {},
) =>
  describe(name, () => {
    setup();
    let incidents: IncidentStore;
    beforeAll(async () => {
      incidents = await makeStore();
    });

    /** Each test's incidents get a group of their own, unless a test shares one on purpose. */
    const incident = (eventID: string, group = `test|${eventID}`): Incident => ({
      ...incidentFrom({ ...record('ScheduleKeyDeletion.assumed-role'), eventID }),
      group,
    });
    /** A signal of `group` whose event happened at `eventTime` (a story's window is six hours either side). */
    const at = (eventID: string, group: string, eventTime: string): Incident => ({
      ...incidentFrom({ ...record('ScheduleKeyDeletion.assumed-role'), eventID, eventTime }),
      group,
    });
    const contained = async (draft: Incident) => {
      await incidents.recordContainment(draft.id, [{ outcome: 'applied', before: {}, after: {} }], draft.createdAt);
      return (await incidents.get(draft.id))!;
    };
    const decision = { action: 'release', by: 'alice', channel: 'cli' as const, at: '2026-11-28T13:00:00.000Z' };

    it('opens an incident once and hands back the stored one on a second open', async () => {
      const draft = incident('open-once');
      expect(await incidents.open(draft)).toEqual({ outcome: 'created', incident: draft });
      const second = await incidents.open({ ...draft, createdAt: '2030-01-01T00:00:00.000Z' });
      expect(second).toEqual({ outcome: 'exists', incident: draft });
    });

    it('opens one incident per group while it is active, and a new one once it was released', async () => {
      const first = incident('group-1', 'shared-group');
      expect((await incidents.open(first)).outcome).toBe('created');
      const second = await incidents.open(incident('group-2', 'shared-group'));
      expect(second).toMatchObject({ outcome: 'grouped', incident: { id: first.id } });
      expect(await incidents.get(incident('group-2').id)).toBeUndefined();

      await incidents.recordContainment(first.id, [], '2026-11-28T12:00:01.000Z');
      await incidents.decide(first.id, 'released', decision);
      const third = await incidents.open(incident('group-3', 'shared-group'));
      expect(third.outcome).toBe('created');
      expect((await incidents.open(incident('group-4', 'shared-group'))).incident.id).toBe(third.incident.id);
    });

    it('makes one incident of two signals of a group that arrive at the same moment', async () => {
      const drafts = ['race-1', 'race-2', 'race-3'].map((id) => incident(id, 'racing-group'));
      const settled = await Promise.allSettled(drafts.map((draft) => incidents.open(draft)));
      const opened = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      // A writer that collided mid-transaction gets an error (Lambda retries it); none makes a second incident.
      expect(opened.filter((o) => o.outcome === 'created')).toHaveLength(1);
      const winner = opened.find((o) => o.outcome === 'created')!.incident.id;
      expect(opened.filter((o) => o.outcome === 'grouped').every((o) => o.incident.id === winner)).toBe(true);
      const stored = await Promise.all(drafts.map((draft) => incidents.get(draft.id)));
      expect(stored.filter(Boolean)).toHaveLength(1);
    });

    it('attaches a later signal once, with its steps pending, only where the results line up and while active', async () => {
      const holder = incident('attach-holder');
      const later = incident('attach-later');
      const entry = later.signals[0]!;
      const step: PlannedAction = {
        type: 'cancel-key-deletion',
        params: { keyArn: holder.keyArn!, restoreState: 'Enabled' },
        run: 'automatic',
      };
      const result = { outcome: 'applied' as const, before: { state: 'PendingDeletion' }, after: { state: 'Enabled' } };
      await incidents.open(holder);
      // Its own results are not recorded yet: steps appended now would not line up with them.
      await expect(incidents.attachSignal(holder.id, entry, [step], 1, '2026-11-28T12:00:01.000Z')).rejects.toThrow(
        StateConflictError,
      );

      await incidents.recordContainment(holder.id, [result], '2026-11-28T12:00:02.000Z');
      // Another signal attached since this plan was read: refused, so the caller reads again.
      await expect(incidents.attachSignal(holder.id, entry, [step], 0, '2026-11-28T12:00:02.500Z')).rejects.toThrow(
        StateConflictError,
      );
      const attached = await incidents.attachSignal(holder.id, entry, [step], 1, '2026-11-28T12:00:03.000Z');
      expect(attached.attached).toBe(true);
      expect(attached.incident).toMatchObject({
        status: 'contained',
        signalIds: [holder.signalIds[0], entry.id],
        results: [result, { outcome: 'pending' }],
        lastSeenAt: '2026-11-28T12:00:03.000Z',
        updatedAt: '2026-11-28T12:00:02.000Z',
      });
      expect(attached.incident.signals.map((s) => [s.eventId, s.planFrom, s.planSteps])).toEqual([
        ['attach-holder', 0, 1],
        ['attach-later', 1, 1],
      ]);

      const recorded = await incidents.recordSignalResults(holder.id, 1, [result], '2026-11-28T12:00:04.000Z');
      expect(recorded.results).toEqual([result, result]);
      expect(recorded.timeline.map((t) => t.what)).toEqual([
        expect.stringMatching(/^opened on key-deletion-scheduled/),
        'containment ran: 1 applied',
        'signal attached: key-deletion-scheduled (ScheduleKeyDeletion attach-later) with 1 step',
        'containment ran: 1 applied',
      ]);

      const again = await incidents.attachSignal(holder.id, entry, [step], 2, '2026-11-28T12:00:05.000Z');
      expect(again.attached).toBe(false);
      expect((await incidents.get(holder.id))!.plan).toHaveLength(2);

      await incidents.decide(holder.id, 'released', decision);
      await expect(
        incidents.attachSignal(holder.id, incident('attach-late').signals[0]!, [], 2, '2026-11-28T14:00:00.000Z'),
      ).rejects.toThrow(StateConflictError);
      // The released holder's own signals, delivered again, are still its own (grouped there, where the responder
      // finds them known and counts a repeat): no new incident.
      expect(await incidents.open(incident('attach-later', holder.group))).toMatchObject({
        outcome: 'grouped',
        incident: { id: holder.id },
      });
    });

    it('joins a signal to the story within its window; past it a new story takes the group, before it one stands apart', async () => {
      const first = at('story-1', 'story|story-group', '2026-11-28T08:00:00Z');
      expect((await incidents.open(first)).outcome).toBe('created');
      expect(first.storyWindow).toEqual({ since: '2026-11-28T02:00:00.000Z', until: '2026-11-28T14:00:00.000Z' });
      const within = await incidents.open(at('story-2', 'story|story-group', '2026-11-28T13:59:00Z'));
      expect(within).toMatchObject({ outcome: 'grouped', incident: { id: first.id } });

      // A day later: the first story is still active (waiting on people) but over; a new one takes the group.
      const dayLater = at('story-3', 'story|story-group', '2026-11-29T08:00:00Z');
      expect((await incidents.open(dayLater)).outcome).toBe('created');
      expect(await incidents.open(at('story-4', 'story|story-group', '2026-11-29T09:00:00Z'))).toMatchObject({
        outcome: 'grouped',
        incident: { id: dayLater.id },
      });
      // An event of the day before, delivered late: an incident of its own, which does not take the group back.
      const late = at('story-5', 'story|story-group', '2026-11-27T20:00:00Z');
      expect((await incidents.open(late)).outcome).toBe('created');
      expect(await incidents.open(at('story-6', 'story|story-group', '2026-11-29T10:00:00Z'))).toMatchObject({
        outcome: 'grouped',
        incident: { id: dayLater.id },
      });
    });

    it('holds a group that is no story while its incident is active, however late the next signal', async () => {
      const first = at('plain-1', 'key|role|operator-rekey', '2026-11-28T08:00:00Z');
      await incidents.open(first);
      expect(await incidents.open(at('plain-2', 'key|role|operator-rekey', '2026-11-30T08:00:00Z'))).toMatchObject({
        outcome: 'grouped',
        incident: { id: first.id },
      });
    });

    it('continues a story a person decided on: the next step opens the next story, as severe as both', async () => {
      const first = at('decided-1', 'story|decided', '2026-11-28T08:00:00Z');
      await incidents.open({
        ...first,
        severity: 'critical',
        severityReason: 'reconnaissance followed by destruction',
      });
      await contained(first);
      await incidents.decide(first.id, 'approved', { ...decision, action: 'approve-rekey' });
      const next = { ...at('decided-2', 'story|decided', '2026-11-28T09:00:00Z'), severity: 'high' as const };
      const opened = await incidents.open(next);
      expect(opened).toMatchObject({ outcome: 'created', incident: { previousId: first.id, severity: 'critical' } });
      expect(await incidents.open(at('decided-3', 'story|decided', '2026-11-28T09:10:00Z'))).toMatchObject({
        outcome: 'grouped',
        incident: { id: next.id },
      });
    });

    it('keeps a signal with the story that took it, even once a new story holds the group', async () => {
      const first = at('claim-1', 'story|claim-group', '2026-11-28T08:00:00Z');
      await incidents.open(first);
      const holder = await contained(first);
      const joined = at('claim-2', 'story|claim-group', '2026-11-28T09:00:00Z');
      const change = { signalCount: 1, before: 'high' as const, severity: 'critical' as const, severityReason: 'why' };
      expect(
        (await incidents.attachSignal(holder.id, joined.signals[0]!, [], 1, '2026-11-28T09:00:01.000Z', change))
          .attached,
      ).toBe(true);
      // The next day's story takes the group over.
      const next = at('claim-3', 'story|claim-group', '2026-11-29T12:00:00Z');
      expect((await incidents.open(next)).outcome).toBe('created');
      // The earlier story's later signal, delivered again: it is that story's, not the new one's, and not new.
      expect(await incidents.open(joined)).toMatchObject({ outcome: 'grouped', incident: { id: first.id } });
      const nextHolder = await contained(next);
      expect(
        await incidents.attachSignal(nextHolder.id, joined.signals[0]!, [], 1, '2026-11-29T12:00:01.000Z'),
      ).toMatchObject({
        attached: false,
        incident: { id: first.id },
      });
      expect((await incidents.get(next.id))!.signalIds).toEqual(next.signalIds);
      expect((await incidents.get(first.id))!).toMatchObject({
        signalIds: [...first.signalIds, joined.signals[0]!.id],
        severity: 'critical',
        severityReason: 'why',
      });
      expect((await incidents.get(first.id))!.timeline.at(-1)!.what).toMatch(
        /; severity raised from high to critical \(why\)$/,
      );
    });

    it('refuses to attach with a story computed from fewer signals than the incident has', async () => {
      const first = at('count-1', 'story|count-group', '2026-11-28T08:00:00Z');
      await incidents.open(first);
      const holder = await contained(first);
      const entry = at('count-2', 'story|count-group', '2026-11-28T08:10:00Z').signals[0]!;
      const change = { signalCount: 0, before: 'high' as const, severity: 'high' as const };
      await expect(incidents.attachSignal(holder.id, entry, [], 1, '2026-11-28T08:10:01.000Z', change)).rejects.toThrow(
        StateConflictError,
      );
      expect((await incidents.get(first.id))!.signalIds).toEqual(first.signalIds);
    });

    it('moves a contained incident to awaiting-approval once', async () => {
      const draft = incident('await');
      await incidents.open(draft);
      await expect(incidents.awaitDecision(draft.id, '2026-11-28T12:00:01.000Z')).rejects.toThrow(StateConflictError);
      await incidents.recordContainment(draft.id, [], '2026-11-28T12:00:02.000Z');
      expect(await incidents.awaitDecision(draft.id, '2026-11-28T12:00:03.000Z')).toMatchObject({
        status: 'awaiting-approval',
        updatedAt: '2026-11-28T12:00:03.000Z',
      });
      const lost = await incidents.awaitDecision(draft.id, '2026-11-28T12:00:04.000Z').catch((e: unknown) => e);
      expect((lost as StateConflictError<Incident>).current).toMatchObject({ status: 'awaiting-approval' });
      expect((await incidents.get(draft.id))!.timeline.at(-1)).toEqual({
        at: '2026-11-28T12:00:03.000Z',
        status: 'awaiting-approval',
        what: 'decision links sent',
      });
    });

    it('sets a TTL when an incident is released or closed, and none while it is active', async () => {
      const draft = incident('ttl');
      await incidents.open(draft);
      await incidents.recordContainment(draft.id, [], '2026-11-28T12:00:01.000Z');
      expect((await incidents.awaitDecision(draft.id, '2026-11-28T12:00:02.000Z')).expiresAt).toBeUndefined();
      const released = await incidents.decide(draft.id, 'released', decision);
      // The stores are made with the default 90 days of retention.
      expect(released.expiresAt).toBe(Date.parse(decision.at) / 1000 + 90 * 86_400);
    });

    it('records what re-keying would do once, and only while it may still be approved', async () => {
      const draft = incident('plan');
      await incidents.open(draft);
      const plan = {
        at: '2026-11-28T12:10:00.000Z',
        moves: 1,
        person: 0,
        lines: [{ key: 'ssm:us-east-1:parameter:/app/db', how: 'put again', person: false, stays: 'history' }],
        more: 0,
        gaps: {},
        replicaRegions: [],
      };
      expect((await incidents.recordRekeyPlan(draft.id, plan)).rekeyPlan).toEqual(plan);
      await expect(incidents.recordRekeyPlan(draft.id, { ...plan, moves: 2 })).rejects.toThrow(StateConflictError);
      expect((await incidents.get(draft.id))!.rekeyPlan).toEqual(plan);
      const late = incident('late-plan');
      await incidents.open(late);
      await incidents.recordContainment(late.id, [], '2026-11-28T12:00:01.000Z');
      await incidents.decide(late.id, 'approved', { ...decision, action: 'approve-rekey' });
      await expect(incidents.recordRekeyPlan(late.id, plan)).rejects.toThrow(StateConflictError);
    });

    it('records re-keying: begun once from approved, resumed as it stands, the replacement key claimed once', async () => {
      const draft = incident('rekey');
      await incidents.open(draft);
      const progress = {
        startedAt: '2026-11-28T13:00:00.000Z',
        startedBy: 'alice',
        oldKeyArn: draft.keyArn!,
        pendingWindowDays: 30,
        resources: {},
      };
      await expect(incidents.beginRekey(draft.id, progress, '2026-11-28T13:00:00.000Z')).rejects.toThrow(
        StateConflictError,
      );
      await incidents.recordContainment(draft.id, [], '2026-11-28T12:00:01.000Z');
      await incidents.decide(draft.id, 'approved', { ...decision, action: 'approve-rekey' });

      expect(await incidents.beginRekey(draft.id, progress, '2026-11-28T13:00:00.000Z')).toMatchObject({
        status: 're-keying',
        rekey: progress,
      });
      await incidents.recordRekey(draft.id, { aliasesMoved: ['alias/a'] }, '2026-11-28T13:01:00.000Z', 'aliases moved');
      // A resumed run keeps what the first one recorded.
      expect(
        (await incidents.beginRekey(draft.id, { ...progress, startedBy: 'bob' }, '2026-11-28T14:00:00.000Z')).rekey,
      ).toMatchObject({ startedBy: 'alice', aliasesMoved: ['alias/a'] });

      expect(await incidents.claimReplacementKey(draft.id, 'arn:new-1', '2026-11-28T13:02:00.000Z')).toBe('arn:new-1');
      expect(await incidents.claimReplacementKey(draft.id, 'arn:new-2', '2026-11-28T13:03:00.000Z')).toBe('arn:new-1');

      const resource = {
        service: 'ssm',
        kind: 'parameter',
        id: '/app/db',
        region: 'us-east-1',
        status: 're-encrypted' as const,
        detail: 'moved',
        at: '2026-11-28T13:04:00.000Z',
      };
      await incidents.recordResources(draft.id, [['ssm:us-east-1:/app/db', resource]]);
      const recorded = (await incidents.get(draft.id))!;
      expect(recorded.rekey!.resources).toEqual({ 'ssm:us-east-1:/app/db': resource });
      // Each resource is recorded beside the incident, not in its timeline: thousands fit.
      expect(recorded.timeline.some((t) => t.what.includes('/app/db'))).toBe(false);
      // Read a page at a time in key order, from after a cursor; the incident's own item alone without them.
      for (const key of ['s3:us-east-1:bucket:b', 'lambda:us-east-1:f', 'ssm:us-east-1:/z'])
        await incidents.recordResources(draft.id, [[key, { ...resource, id: key }]]);
      const first = await incidents.resourcesAfter(draft.id, '', 2);
      expect(first.resources.map(([key]) => key)).toEqual(['lambda:us-east-1:f', 's3:us-east-1:bucket:b']);
      expect(first.next).toBe('s3:us-east-1:bucket:b');
      const rest = await incidents.resourcesAfter(draft.id, first.next!, 2);
      expect(rest.resources.map(([key]) => key)).toEqual(['ssm:us-east-1:/app/db', 'ssm:us-east-1:/z']);
      expect(rest.resources[0]![1]).toEqual(resource);
      expect((await incidents.resourcesAfter(draft.id, rest.resources.at(-1)![0], 2)).resources).toEqual([]);
      // Many at once (more than one transaction's hundred actions), a key given twice written once with its last.
      const many = Array.from(
        { length: 250 },
        (_, i) =>
          [`ssm:us-east-1:parameter:/many/${String(i).padStart(3, '0')}`, { ...resource, id: `/many/${i}` }] as const,
      );
      await incidents.recordResources(draft.id, [
        ...many,
        [many[7]![0], { ...resource, status: 'needs-human', detail: 'last' }],
      ]);
      const walked: string[] = [];
      for (let after = ''; ;) {
        const page = await incidents.resourcesAfter(draft.id, after, 100);
        walked.push(...page.resources.filter(([key]) => key.includes('/many/')).map(([key]) => key));
        if (!page.next) break;
        after = page.next;
      }
      expect(walked).toEqual(many.map(([key]) => key));
      expect((await incidents.get(draft.id))!.rekey!.resources[many[7]![0]]).toMatchObject({
        status: 'needs-human',
        detail: 'last',
      });
      // A person's acknowledgement stands: what re-keying records after it leaves it as it is.
      await incidents.recordAcknowledgement(draft.id, many[8]![0], {
        ...resource,
        detail: 'acknowledged by bob: gone',
      });
      await incidents.recordResources(draft.id, [
        [many[8]![0], { ...resource, status: 'needs-human', detail: 'found' }],
      ]);
      expect((await incidents.get(draft.id))!.rekey!.resources[many[8]![0]]).toMatchObject({
        status: 'acknowledged',
        detail: 'acknowledged by bob: gone',
      });
      const head = (await incidents.head(draft.id))!;
      expect(head).toMatchObject({ id: draft.id, status: 're-keying', rekey: { replacementKeyArn: 'arn:new-1' } });
      expect(Object.keys(head.rekey!.resources)).toEqual([]);
      // A record without a timeline line (bookkeeping a wait repeats).
      const lines = recorded.timeline.length;
      await incidents.recordRekey(
        draft.id,
        { progressToldAt: '2026-11-28T13:05:00.000Z' },
        '2026-11-28T13:05:00.000Z',
        null,
      );
      const quiet = (await incidents.get(draft.id))!;
      expect(quiet.timeline).toHaveLength(lines);
      expect(quiet.rekey!.progressToldAt).toBe('2026-11-28T13:05:00.000Z');

      expect(await incidents.advance(draft.id, 're-keyed', '2026-11-28T14:00:00.000Z', 'verified')).toMatchObject({
        status: 're-keyed',
      });
      await expect(incidents.advance(draft.id, 'closed', '2026-11-28T14:00:00.000Z', 'too soon')).rejects.toThrow(
        StateConflictError,
      );
      await incidents.decide(draft.id, 'released', decision).catch(() => undefined);
      // Not re-keying any more: progress can no longer be written.
      await incidents.advance(draft.id, 'deletion-scheduled', '2026-11-28T15:00:00.000Z', 'scheduled');
      await incidents.advance(draft.id, 'closed', '2026-11-28T16:00:00.000Z', 'closed');
      await expect(
        incidents.recordRekey(draft.id, { verifiedAt: 'x' }, '2026-11-28T16:01:00.000Z', 'late'),
      ).rejects.toThrow(StateConflictError);
      await expect(incidents.recordResources(draft.id, [['ssm:us-east-1:/late', resource]])).rejects.toThrow(
        StateConflictError,
      );
      await expect(incidents.recordAcknowledgement(draft.id, 'ssm:us-east-1:/late', resource)).rejects.toThrow(
        StateConflictError,
      );
    });

    it('records where the Slack message is once, and nothing for an incident that does not exist', async () => {
      const draft = incident('slack');
      await incidents.open(draft);
      expect(await incidents.recordSlackMessage(draft.id, { channel: 'C1', ts: '1.1' })).toBe(true);
      expect(await incidents.recordSlackMessage(draft.id, { channel: 'C1', ts: '2.2' })).toBe(false);
      expect((await incidents.get(draft.id))!.slackMessage).toEqual({ channel: 'C1', ts: '1.1' });
      // Posted again after someone deleted it: replaces the one it names, and only that one.
      expect(await incidents.recordSlackMessage(draft.id, { channel: 'C1', ts: '4.4' }, '9.9')).toBe(false);
      expect(await incidents.recordSlackMessage(draft.id, { channel: 'C1', ts: '4.4' }, '1.1')).toBe(true);
      expect((await incidents.get(draft.id))!.slackMessage).toEqual({ channel: 'C1', ts: '4.4' });
      expect(await incidents.recordSlackMessage('kw-none', { channel: 'C1', ts: '3.3' })).toBe(false);
      expect(await incidents.get('kw-none')).toBeUndefined();
    });

    describe('decisions: recorded first under their one condition, carried out by one executor at a time', () => {
      const at = '2026-11-28T13:00:00.000Z';
      const made = (action: 'approve-rekey' | 'reject' | 'release' | 'disable-key', id: string) => ({
        id,
        action,
        by: 'alice',
        channel: 'approval-link' as const,
        at,
      });
      const contained = async (name: string) => {
        const draft = incident(name);
        await incidents.open(draft);
        await incidents.recordContainment(draft.id, [], '2026-11-28T12:00:02.000Z');
        await incidents.awaitDecision(draft.id, '2026-11-28T12:00:03.000Z');
        return draft.id;
      };

      it('lets one of two decisions that move the incident win, whichever it is', async () => {
        for (const [first, second] of [
          ['approve-rekey', 'release'],
          ['release', 'approve-rekey'],
          ['reject', 'approve-rekey'],
          ['approve-rekey', 'reject'],
        ] as const) {
          const id = await contained(`move-${first}-${second}`);
          const settled = await Promise.allSettled([
            incidents.recordDecision(id, made(first, `${first}-1`)),
            incidents.recordDecision(id, made(second, `${second}-1`)),
          ]);
          expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
          const lost = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult;
          expect(lost.reason).toBeInstanceOf(StateConflictError);
          expect((await incidents.get(id))!.decisions).toHaveLength(1);
        }
      });

      it('refuses a release of a rejected incident (the rejection is releasing it), and a disable after approval', async () => {
        const rejected = await contained('rejected-then-release');
        await incidents.recordDecision(rejected, made('reject', 'r-1'));
        await expect(incidents.recordDecision(rejected, made('release', 'r-2'))).rejects.toThrow(StateConflictError);
        expect((await incidents.get(rejected))!.status).toBe('rejected');

        const approved = await contained('approved-then-disable');
        await incidents.recordDecision(approved, made('approve-rekey', 'a-1'));
        await expect(incidents.recordDecision(approved, made('disable-key', 'a-2'))).rejects.toThrow(
          StateConflictError,
        );
      });

      it('takes a disable once, until it is given back', async () => {
        const id = await contained('disable-once');
        const settled = await Promise.allSettled([
          incidents.recordDecision(id, made('disable-key', 'd-1')),
          incidents.recordDecision(id, made('disable-key', 'd-2')),
        ]);
        expect(settled.map((s) => s.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect((await incidents.get(id))!.onceTaken).toEqual(['disable-key']);
        await incidents.giveBack(id, 'disable-key', at, 'the disable failed');
        expect((await incidents.get(id))!.onceTaken ?? []).toEqual([]);
        await incidents.recordDecision(id, made('disable-key', 'd-3'));
        expect((await incidents.get(id))!.decisions!.map((d) => d.id)).toHaveLength(2);
      });

      it('lets one executor hold the incident at a time, until it completes or its claim expires', async () => {
        const id = await contained('executor-claim');
        await incidents.recordDecision(id, made('disable-key', 'e-1'));
        await incidents.recordDecision(id, made('release', 'e-2'));
        const until = '2026-11-28T13:06:00.000Z';
        expect(await incidents.claimExecution(id, 'e-1', at, until)).toMatchObject({
          executing: { decisionId: 'e-1', until },
        });
        expect(await incidents.claimExecution(id, 'e-2', at, until)).toBeUndefined();
        // The holder again (a retry of the same decision): still its own.
        expect(await incidents.claimExecution(id, 'e-1', at, until)).toBeDefined();
        await incidents.recordUndone(id, { index: 1, id: 'e-2' }, ['step:0']).then(
          () => {
            throw new Error('recorded progress for a decision that does not hold the incident');
          },
          (error: unknown) => expect(error).toBeInstanceOf(StateConflictError),
        );
        const done = await incidents.completeDecision(
          id,
          { index: 0, id: 'e-1' },
          {
            at,
            detail: 'disabled',
            complete: true,
          },
        );
        expect(done.executing).toBeUndefined();
        expect(done.decisions![0]!.carriedOut).toEqual({ at, detail: 'disabled', complete: true });
        // An overlapping run of the same job finishing second records nothing over the first's account.
        await expect(
          incidents.completeDecision(id, { index: 0, id: 'e-1' }, { at, detail: 'not disabled', complete: true }, [
            { outcome: 'skipped', reason: 'already disabled' },
          ]),
        ).rejects.toBeInstanceOf(StateConflictError);
        expect((await incidents.get(id))!.decisions![0]!.carriedOut!.detail).toBe('disabled');
        // Letting go without recording: only the holder's claim goes.
        expect(await incidents.claimExecution(id, 'e-1', at, until)).toBeDefined();
        await incidents.releaseExecution(id, 'e-2');
        expect((await incidents.get(id))!.executing).toMatchObject({ decisionId: 'e-1' });
        await incidents.releaseExecution(id, 'e-1');
        expect((await incidents.get(id))!.executing).toBeUndefined();
        expect(await incidents.claimExecution(id, 'e-2', at, until)).toBeDefined();
        await incidents.recordUndone(id, { index: 1, id: 'e-2' }, ['step:0', 'step:2']);
        expect((await incidents.get(id))!.decisions![1]!.undone).toEqual(['step:0', 'step:2']);
        // A claim past its time is anyone's: an executor that died does not hold the incident for ever.
        expect(
          await incidents.claimExecution(id, 'e-3', '2026-11-28T13:07:00.000Z', '2026-11-28T13:13:00.000Z'),
        ).toMatchObject({
          executing: { decisionId: 'e-3' },
        });
      });
    });
  });
