import { detectSignals } from '../../src/detections';
import { defaultDetectionSettings } from '../../src/detections';
import type { CloudTrailRecord } from '../../src/events/cloudtrail-record';
import { normaliseKmsApiCall } from '../../src/events/kms-api-call';
import { newIncident, type Incident } from '../../src/incidents/incident';
import { responderRoles } from './records';
import type { IncidentStore } from '../../src/incidents/incident-store';
import type { KeySnapshot } from '../../src/incidents/key-snapshot';

/** A contained-or-open incident for the first signal a record raises (no key administrators configured). */
export const incidentFrom = (record: CloudTrailRecord, overrides: Partial<Incident> = {}): Incident => {
  const signal = detectSignals(normaliseKmsApiCall(record, { responderRoles }), defaultDetectionSettings)[0]!;
  return {
    ...newIncident(signal, '2026-11-28T12:00:00.000Z', {
      priorKeyState: { state: 'Enabled', basis: 'no earlier state change seen; assumed Enabled' },
      plan: [
        { type: 'cancel-key-deletion', params: { keyArn: signal.keyArn!, restoreState: 'Enabled' }, run: 'automatic' },
      ],
    }),
    ...overrides,
  };
};

/** An incident approved for re-keying `keyArn` and begun (re-keying, no progress yet), stored in `incidents`. */
export const rekeyingIncident = async (
  incidents: IncidentStore,
  keyArn: string,
  record: CloudTrailRecord,
): Promise<Incident> => {
  const incident = incidentFrom(record);
  const at = '2026-11-28T12:00:00.000Z';
  await incidents.open(incident);
  await incidents.recordContainment(incident.id, [], at);
  await incidents.decide(incident.id, 'approved', { action: 'approve-rekey', by: 'alice', channel: 'cli', at });
  return incidents.beginRekey(
    incident.id,
    { startedAt: at, startedBy: 'alice', oldKeyArn: keyArn, pendingWindowDays: 30, resources: {} },
    at,
  );
};

/** The old key as the snapshot step reads it: a symmetric key of AWS KMS material, enabled, nothing special. */
export const keySnapshotOf = (keyArn: string, changes: Partial<KeySnapshot> = {}): KeySnapshot => ({
  keyArn,
  region: keyArn.split(':')[3]!,
  policy: '{"Version":"2012-10-17","Statement":[]}',
  tags: {},
  description: '',
  keySpec: 'SYMMETRIC_DEFAULT',
  keyUsage: 'ENCRYPT_DECRYPT',
  origin: 'AWS_KMS',
  multiRegion: false,
  rotationEnabled: true,
  aliases: [],
  state: 'Enabled',
  ...changes,
});
