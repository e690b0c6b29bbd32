import { defaultThresholds, type DetectionSettings } from '../../../src/detections';

export const settings: DetectionSettings = {
  keyAdministrators: ['arn:aws:iam::111122223333:user/Alice'],
  trustedAccounts: ['444455556666'],
  trustedOrganizations: ['o-a1b2c3d4e5'],
  thresholds: defaultThresholds,
};

export { responderRoles } from '../../support/records';
import { responderRoles } from '../../support/records';

export const options = { responderRoles };
