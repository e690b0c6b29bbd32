import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDetectionSettings } from '../../../src/detections';
import { prepare, type Prepared } from '../../../src/replay/prepare';
import { project, unproject } from '../../../src/replay/projection';

/** Every real record and event in test/fixtures/real (SOURCES.md), prepared as a replay worker prepares them. */
const fixtures = join(__dirname, '../../fixtures/real');
const prepared: Prepared[] = [
  ...[
    'awsdocs-kms-developer-guide.ndjson',
    'invictus-aws-dataset-kms.ndjson',
    'panther-kms.ndjson',
    'panther-guardduty.ndjson',
  ].flatMap((file) =>
    readFileSync(join(fixtures, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line, i) =>
        prepare(
          { ok: true, value: JSON.parse(line), where: `${file}:${i + 1}` },
          {
            responderRoles: ['arn:aws:iam::123837392027:role/kms-warden-responder'],
            settings: defaultDetectionSettings,
          },
        ),
      ),
  ),
  { ok: false, where: 'x.json:3', problem: 'not JSON' },
];

describe('the projection that crosses threads', () => {
  it('gives back every API call as prepared, with the stateless signals, and the other inputs as they were', () => {
    const { projection, transfer } = project(prepared);
    expect(transfer).toHaveLength(2);
    // Through the structured clone a worker's message goes through.
    const back = unproject(structuredClone(projection, { transfer }));
    const calls = prepared.filter((p) => p.ok && p.event.kind === 'api-call');
    const others = prepared.filter((p) => !p.ok || p.event.kind !== 'api-call');
    expect(calls.length).toBeGreaterThan(100);
    expect(others.length).toBeGreaterThan(1);
    expect(back).toEqual([...calls, ...others]);
    // Some calls carry signals, and the rest an empty list, so stateless detection never runs twice.
    expect(back.some((p) => p.ok && p.event.kind === 'api-call' && p.event.signals!.length > 0)).toBe(true);
    for (const p of back) if (p.ok && p.event.kind === 'api-call') expect(p.event.signals).toBeDefined();
  });

  it('holds each repeated value once', () => {
    const { projection } = project(prepared);
    const repeated = projection.strings.filter((s, i) => projection.strings.indexOf(s) !== i);
    // Only event ids and times are put in as they are; they may repeat between records.
    const calls = prepared.flatMap((p) => (p.ok && p.event.kind === 'api-call' ? [p.event.call] : []));
    const uniques = new Set(calls.flatMap((c) => [c.eventId, c.eventTime]));
    for (const s of repeated) expect(uniques.has(s)).toBe(true);
  });

  it('packs nothing into nothing', () => {
    expect(unproject(project([]).projection)).toEqual([]);
  });

  it('carries no request or response: the detectors that read them ran where the events were prepared', () => {
    const back = unproject(project(prepared).projection);
    for (const p of back)
      if (p.ok && p.event.kind === 'api-call') {
        expect(p.event.call.requestParameters).toEqual({});
        expect(p.event.call.responseElements).toEqual({});
      }
  });
});
