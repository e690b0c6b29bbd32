import { parsePolicy } from '../policy-evaluation';
import type { StrictRule } from './rule';

/**
 * Since 18 August 2025 KMS refuses key policy statements without Action or NotAction, or with a Resource other
 * than "*" (announced to account holders; quoted in ministryofjustice/analytical-platform#7691).
 */
export const kmsKeyPolicyElements: StrictRule = {
  id: 'kms-key-policy-elements',
  says: 'every key policy statement has Action or NotAction, and Resource "*" (MalformedPolicyDocumentException)',
  docs: ['https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html'],
  operations: ['kms:CreateKey', 'kms:PutKeyPolicy', 'kms:ReplicateKey'],
  refuse: async ({ call }) => {
    const text = call.params.Policy;
    if (typeof text !== 'string') return undefined;
    let statements;
    try {
      const policy = parsePolicy(text);
      statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    } catch {
      return undefined;
    }
    const invalid = statements.find(
      (s) =>
        (s.Action === undefined && s.NotAction === undefined) ||
        (s.Resource !== '*' && !(Array.isArray(s.Resource) && s.Resource.length === 1 && s.Resource[0] === '*')),
    );
    return invalid
      ? {
          code: 'MalformedPolicyDocumentException',
          message:
            `Policy statement ${invalid.Sid ?? ''} must have an Action or NotAction element, and Resource "*".`.replace(
              '  ',
              ' ',
            ),
        }
      : undefined;
  },
};
