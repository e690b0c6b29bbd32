import { detectSignals } from '../../src/detectors';
import { defaultDetectionSettings } from '../../src/detectors/detector';
import type { CloudTrailRecord } from '../../src/events/cloudtrail-record';
import { normaliseKmsApiCall } from '../../src/events/kms-api-call';
import { newIncident, type Incident } from '../../src/incidents/incident';

/** A contained-or-open incident for the first signal a record raises (no key administrators configured). */
export const incidentFrom = (record: CloudTrailRecord, overrides: Partial<Incident> = {}): Incident => {
  const signal = detectSignals(normaliseKmsApiCall(record, { responderRolePath: '/kms-warden/test/' }), defaultDetectionSettings)[0]!;
  return {
    ...newIncident(signal, '2026-11-28T12:00:00.000Z', {
      priorKeyState: { state: 'Enabled', basis: 'no earlier state change seen; assumed Enabled' },
      plan: [{ type: 'cancel-key-deletion', params: { keyArn: signal.keyArn!, restoreState: 'Enabled' }, run: 'automatic' }],
    }),
    ...overrides,
  };
};
