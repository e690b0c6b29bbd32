import { configChange, type InputCase } from '../../../test/support/cases/input';

/**
 * Fixtures that must fire rotation-noncompliant and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'input'; match: InputCase[]; noMatch: InputCase[] } = {
  kind: 'input',
  match: [
    {
      name: 'NON_COMPLIANT for the rotation rule',
      input: configChange,
      expect: { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
    },
  ],
  noMatch: [
    {
      name: 'back to COMPLIANT',
      input: {
        ...configChange,
        detail: {
          ...configChange.detail,
          newEvaluationResult: { ...configChange.detail.newEvaluationResult, complianceType: 'COMPLIANT' },
        },
      },
    },
    {
      name: 'another rule',
      input: {
        ...configChange,
        detail: { ...configChange.detail, configRuleName: 'kms-cmk-not-scheduled-for-deletion' },
      },
    },
  ],
};
