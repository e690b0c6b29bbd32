import { isDeepStrictEqual } from 'node:util';
import type { Action } from './action';

export interface RestoreKeyPolicyParams {
  keyArn: string;
  /** The policy before the malicious PutKeyPolicy, from kms-warden's policy journal (kept in the plan). */
  policy: string;
  /** The malicious policy itself: restoring goes ahead only while it is still the key's policy. */
  replacedPolicy: string;
}

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Policies compared as documents: KMS may store them with other whitespace. */
export const samePolicy = (a: string, b: string) => isDeepStrictEqual(parsed(a), parsed(b));

export const restoreKeyPolicy: Action<RestoreKeyPolicyParams> = {
  type: 'restore-key-policy',
  iamActions: ['kms:GetKeyPolicy', 'kms:PutKeyPolicy'],
  reversible: true,
  lane: ({ keyArn }) => `key-policy:${keyArn}`,
  describe: ({ keyArn }) => `put back the policy ${keyArn} had before the suspect changed it`,
  apply: async ({ keyArn, policy, replacedPolicy }, { kms }) => {
    const current = await kms.keyPolicy(keyArn);
    if (samePolicy(current, policy)) return { outcome: 'skipped', reason: 'the earlier policy is already in place', before: { policy: current } };
    // Someone changed the policy again since the signal: overwriting their change is a person's decision.
    if (!samePolicy(current, replacedPolicy)) {
      return { outcome: 'skipped', reason: 'the policy changed again after the suspect set it; left for a person to decide', before: { policy: current } };
    }
    await kms.putKeyPolicy(keyArn, policy);
    return { outcome: 'applied', before: { policy: current }, after: { policy } };
  },
  undo: async ({ keyArn, policy }, { kms }, result) => {
    if (result.outcome !== 'applied') return;
    // Only while the restored policy is still in place.
    if (samePolicy(await kms.keyPolicy(keyArn), policy)) await kms.putKeyPolicy(keyArn, String(result.before.policy));
  },
};
