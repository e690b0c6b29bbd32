import { complianceDetection } from '../detection';
import { rotateAgain } from '../responses';
import { partitionOf } from '../../events/accounts';

/** The managed rule CMK_BACKING_KEY_ROTATION_ENABLED, under its default name or a name that contains it. */
const rotationRule = /cmk-backing-key-rotation-enabled/i;

export const rotationNoncompliant = complianceDetection({
  id: 'rotation-noncompliant',
  family: 'protection-weakened',
  title: 'AWS Config found a KMS key without automatic rotation',
  severity: 'medium',
  mitre: ['T1562'],
  stage: 'defence-weakened',
  respond: (signal) => rotateAgain(signal),
  input: 'config-compliance',
  detect: (change) => {
    if (!rotationRule.test(change.configRuleName) || change.newEvaluationResult.complianceType !== 'NON_COMPLIANT')
      return null;
    const keyArn = change.resourceId.startsWith('arn:')
      ? change.resourceId
      : `arn:${partitionOf(change.awsRegion)}:kms:${change.awsRegion}:${change.awsAccountId}:key/${change.resourceId}`;
    return {
      keyArn,
      summary: `AWS Config rule ${change.configRuleName} found ${keyArn} NON_COMPLIANT (was ${change.oldEvaluationResult?.complianceType ?? 'not evaluated'})`,
      evidence: { configRuleName: change.configRuleName, previous: change.oldEvaluationResult?.complianceType ?? null },
    };
  },
});
