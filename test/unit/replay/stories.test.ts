import type { Signal } from '../../../src/detections';
import { incidentBounds } from '../../../src/incidents/incident';
import { StoryBook } from '../../../src/replay/stories';

const signal = (
  eventId: string,
  eventTime: string,
  role = 'ci-deployer',
  detector = 'key-deletion-scheduled',
): Signal =>
  ({
    detector,
    title: 'A deletion',
    severity: 'high',
    mitre: ['T1485'],
    keyArn: `arn:aws:kms:us-east-1:111122223333:key/${eventId}`,
    principal: { kind: 'assumed-role', arn: `arn:aws:iam::111122223333:role/${role}` },
    summary: 'scheduled',
    evidence: {},
    source: {
      eventId,
      eventName: 'ScheduleKeyDeletion',
      eventTime,
      region: 'us-east-1',
      accountId: '111122223333',
      sourceIp: undefined,
      userAgent: undefined,
    },
  }) as Signal;

describe("replay's stories", () => {
  it('keeps a late event apart from the story that holds its principal, and the group with that story', () => {
    const book = new StoryBook(6);
    const first = book.add(signal('a', '2026-11-02T12:00:00Z'));
    const late = book.add(signal('b', '2026-11-01T12:00:00Z'));
    expect(late).not.toBe(first);
    expect(book.add(signal('c', '2026-11-02T13:00:00Z'))).toBe(first);
    // Delivered twice (an organization trail, a redelivery): filed once.
    expect(book.add(signal('c', '2026-11-02T13:00:00Z'))).toBe(first);
    const stories = book.rest();
    expect(stories.map((s) => [s.id, s.signals])).toEqual([
      [late, 1],
      [first, 2],
    ]);
    expect(stories[1]).toMatchObject({ severity: 'critical', severityReason: 'destruction across 2 keys' });
  });

  it('starts a new story once one holds as many signals as an incident may, as the store does', () => {
    const book = new StoryBook(6);
    const ids = Array.from({ length: incidentBounds.maxSignalsPerIncident + 1 }, (_, i) =>
      book.add(signal(`s${i}`, new Date(Date.UTC(2026, 10, 1, 12, i)).toISOString())),
    );
    expect(new Set(ids.slice(0, -1)).size).toBe(1);
    expect(ids.at(-1)).not.toBe(ids[0]);
  });

  it('hands out a story once the watermark passed its window, and never again', () => {
    const book = new StoryBook(6);
    const id = book.add(signal('a', '2026-11-01T12:00:00Z'));
    expect(book.closed('2026-11-01T17:00:00Z')).toEqual([]);
    expect(book.closed('2026-11-01T18:00:01Z').map((s) => s.id)).toEqual([id]);
    expect(book.closed('2026-11-03T00:00:00Z')).toEqual([]);
    expect(book.rest()).toEqual([]);
  });
});
