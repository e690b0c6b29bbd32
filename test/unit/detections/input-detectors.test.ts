import { detectInComplianceChange, detectInFinding } from '../../../src/detections';
import type { InputEvent } from '../../../src/events/input';
import { classified, inputCases } from '../../support/detection-cases';
import { settings } from './settings';
import { realRecords } from '../../support/records';

const signalsOf = (event: InputEvent) =>
  event.kind === 'guardduty-finding'
    ? detectInFinding(event.finding, settings)
    : event.kind === 'config-compliance'
      ? detectInComplianceChange(event.change, settings)
      : [];

describe.each(Object.entries(inputCases))('%s', (id, { match, noMatch }) => {
  it.each(match.map((c) => [c.name, c] as const))('fires on %s', (_name, c) => {
    const signals = signalsOf(classified(c.input)).filter((s) => s.detector === id);
    expect(signals).toHaveLength(1);
    if (c.expect) expect(signals[0]).toMatchObject(c.expect);
  });

  it.each(noMatch.map((c) => [c.name, c] as const))('stays quiet on %s', (_name, c) => {
    expect(signalsOf(classified(c.input)).filter((s) => s.detector === id)).toEqual([]);
  });
});

describe('attack sequences that name several actors', () => {
  it('raise one signal per principal, each with its own event id', () => {
    // Panther's AttackSequence:IAM finding, with the actors an Extended Threat Detection finding carries
    // (shape of Security Hub's Sequence.Actors[].User); the corpus has no real one with actors.
    const base = realRecords('panther-guardduty.ndjson')[0] as { service: Record<string, unknown> };
    const actors = [
      { user: { name: 'john_doe', type: 'IAMUser', credentialUid: 'AKIAEXAMPLE1', account: { uid: '123456789012' } } },
      {
        user: { name: 'deploy', type: 'AssumedRole', credentialUid: 'ASIAEXAMPLE2', account: { uid: '123456789012' } },
      },
      { user: { name: 'john_doe', type: 'IAMUser', account: { uid: '123456789012' } } },
    ];
    const event = classified({ ...base, service: { ...base.service, detection: { sequence: { actors } } } });
    const signals = event.kind === 'guardduty-finding' ? detectInFinding(event.finding, settings) : [];
    expect(signals.map((s) => [s.principal.arn, s.principal.accessKeyId, s.source.eventId])).toEqual([
      ['arn:aws:iam::123456789012:user/john_doe', 'AKIAEXAMPLE1', '8c258d654378414b9bc26f61a93eb816'],
      [
        'arn:aws:iam::123456789012:role/deploy',
        'ASIAEXAMPLE2',
        '8c258d654378414b9bc26f61a93eb816#arn:aws:iam::123456789012:role/deploy',
      ],
    ]);
  });
});
