import { detectSignals } from '../../../src/detectors';
import { defaultDetectionSettings } from '../../../src/detectors/detector';
import { normaliseKmsApiCall } from '../../../src/events/kms-api-call';
import { planResponse } from '../../../src/policy/playbooks';
import { record } from '../../support/records';

const signalFor = (name: string, keyAdministrators: string[] = []) =>
  detectSignals(normaliseKmsApiCall(record(name), { responderRolePath: '/kms-warden/test/' }), { ...defaultDetectionSettings, keyAdministrators })[0]!;

describe('response plans', () => {
  it("cancels a deletion scheduled by someone who is not a key administrator, restoring the key's prior state", () => {
    const signal = signalFor('ScheduleKeyDeletion.assumed-role');
    expect(planResponse(signal, { priorKeyState: { state: 'Disabled', basis: 'seen' } })).toEqual([
      { type: 'cancel-key-deletion', params: { keyArn: 'arn:aws:kms:us-west-2:123456789012:key/1', restoreState: 'Disabled' } },
    ]);
  });

  it("reports a key administrator's deletion without acting", () => {
    const signal = signalFor('ScheduleKeyDeletion.iam-user', ['arn:aws:iam::111122223333:user/Alice']);
    expect(planResponse(signal, { priorKeyState: { state: 'Enabled', basis: 'assumed' } })).toEqual([]);
  });

  it('plans nothing for a detector without a playbook', () => {
    const signal = { ...signalFor('ScheduleKeyDeletion.assumed-role'), detector: 'no-such-detector' };
    expect(planResponse(signal, { priorKeyState: { state: 'Enabled', basis: 'assumed' } })).toEqual([]);
  });
});
