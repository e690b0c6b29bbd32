import { StateConflictError } from '../../../src/errors';
import { signalEntryOf } from '../../../src/incidents/incident';
import { attachToIncident } from '../../../src/respond/attach-to-incident';
import { incidentFrom } from '../../support/incidents';
import { record } from '../../support/records';
import { inMemoryResponderDeps } from '../../support/responder';

/** A story told and contained, and two later steps of its principal arriving at the same moment. */
const racing = async () => {
  const { deps, incidents } = inMemoryResponderDeps();
  const story = incidentFrom(record('ScheduleKeyDeletion.assumed-role'), { plan: [] });
  await incidents.open(story);
  await incidents.recordContainment(story.id, [], '2026-11-28T12:00:00.000Z');
  const [one, two] = ['step-one', 'step-two'].map(
    (eventID) => incidentFrom({ ...record('DisableKey.assumed-role'), eventID }).signal,
  );
  return { deps, incidents, story, one: one!, two: two! };
};

describe('a later step of a story racing others for its one item', () => {
  it('reads the story again and records the step when another step joined first', async () => {
    const { deps: d, incidents: store, story: holder, one: first, two: second } = await racing();
    // The other step lands between this one's read and its write: the write is refused (the story changed) once.
    const attach = store.attachSignal.bind(store);
    let raced = false;
    store.attachSignal = async (...args) => {
      if (!raced) {
        raced = true;
        await attach(holder.id, signalEntryOf(second, '2026-11-28T12:00:01.000Z'), [], 0, '2026-11-28T12:00:01.000Z', {
          signalCount: 1,
          before: 'critical',
          severity: 'critical',
          storyWindow: holder.storyWindow!,
          keys: holder.keys!,
        });
      }
      return attach(...args);
    };
    const outcome = await attachToIncident((await store.get(holder.id))!, first, [], d);
    expect(outcome).toEqual({ id: holder.id, status: 'contained', duplicate: false });
    expect((await store.get(holder.id))!.signals.map((s) => s.eventId)).toEqual([
      holder.signal.source.eventId,
      'step-two',
      'step-one',
    ]);
  });

  it('gives up after a few attempts, and lets Lambda retry the record', async () => {
    const { deps, incidents, story, one } = await racing();
    let attempts = 0;
    incidents.attachSignal = async () => {
      attempts += 1;
      throw new StateConflictError(story.id, await incidents.get(story.id));
    };
    await expect(attachToIncident((await incidents.get(story.id))!, one, [], deps)).rejects.toThrow(
      /was contained but could not be attached/,
    );
    expect(attempts).toBe(4);
  });
});
