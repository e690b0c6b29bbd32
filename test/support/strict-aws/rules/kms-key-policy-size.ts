import type { StrictRule } from './rule';

/** A key policy is at most 32 KB. KMS does not say whitespace is left out (IAM does), so every byte counts. */
export const kmsKeyPolicySize: StrictRule = {
  id: 'kms-key-policy-size',
  says: 'a key policy is at most 32,768 bytes (LimitExceededException)',
  docs: [
    'https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html',
    'https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html',
  ],
  operations: ['kms:CreateKey', 'kms:PutKeyPolicy', 'kms:ReplicateKey'],
  refuse: async ({ call }) => {
    const policy = call.params.Policy;
    if (typeof policy !== 'string' || Buffer.byteLength(policy, 'utf8') <= 32_768) return undefined;
    return {
      code: 'LimitExceededException',
      message: `The key policy is ${Buffer.byteLength(policy, 'utf8')} bytes: the limit is 32768.`,
    };
  },
};
