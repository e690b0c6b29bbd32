import { defaultThresholds, type DetectionSettings } from '../../../src/detectors/detector';

export const settings: DetectionSettings = {
  keyAdministrators: ['arn:aws:iam::111122223333:user/Alice'],
  trustedAccounts: ['444455556666'],
  thresholds: defaultThresholds,
};

export const options = { responderRolePath: '/kms-warden/test/' };
