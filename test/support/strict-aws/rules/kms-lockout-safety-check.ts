import { authorizeKms, parsePolicy } from '../policy-evaluation';
import type { StrictRule } from './rule';

/**
 * KMS refuses a key policy that would not let the caller change it again, unless the request sets
 * BypassPolicyLockoutSafetyCheck. The check is KMS's own evaluation of kms:PutKeyPolicy for the caller under the new
 * policy: a statement naming the caller allows it outright; one naming the account allows it only if the caller's
 * IAM policies do (an AWS engineer's answer and a reproduction are cited in /README.md's strict-layer section).
 */
export const kmsLockoutSafetyCheck: StrictRule = {
  id: 'kms-lockout-safety-check',
  says: "CreateKey, PutKeyPolicy and ReplicateKey refuse a policy under which the caller could not call PutKeyPolicy again (MalformedPolicyDocumentException), counting the caller's IAM policies where the policy delegates to the account",
  docs: [
    'https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html',
    'https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key',
  ],
  operations: ['kms:CreateKey', 'kms:PutKeyPolicy', 'kms:ReplicateKey'],
  refuse: async ({ call, identity, policies, keyArn, emulator }) => {
    const { Policy, BypassPolicyLockoutSafetyCheck } = call.params;
    if (typeof Policy !== 'string' || BypassPolicyLockoutSafetyCheck === true) return undefined;
    let policy;
    try {
      policy = parsePolicy(Policy);
    } catch {
      return undefined; // moto refuses what is not a policy
    }
    // CreateKey: the key KMS is about to make, in the Region and account of the call.
    const resource =
      (await keyArn()) ?? `arn:${emulator.partition}:kms:${call.region}:${emulator.account}:key/the-key-being-created`;
    const verdict = authorizeKms(policy, await policies(), {
      caller: identity.caller,
      action: 'kms:PutKeyPolicy',
      resource,
      context: { 'kms:CallerAccount': identity.caller.account },
    });
    return verdict.allowed
      ? undefined
      : {
          code: 'MalformedPolicyDocumentException',
          message: 'The new key policy will not allow you to update the key policy in the future.',
        };
  },
};
