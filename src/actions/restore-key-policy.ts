import { isDeepStrictEqual } from 'node:util';
import type { Action, ActionResult } from './action';

export interface RestoreKeyPolicyParams {
  keyArn: string;
  /** The policy before the malicious PutKeyPolicy, by reference (deps.policyTexts), from kms-warden's journal. */
  policyRef?: string;
  /** The malicious policy itself, by reference: restoring goes ahead only while it is still the key's policy. */
  replacedPolicyRef?: string;
  /** Plans stored before policies were kept out of line carry the texts themselves. */
  policy?: string;
  replacedPolicy?: string;
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
  apply: async (params, { kms, keyPolicyLock, policyTexts }) => {
    const { keyArn } = params;
    const policy = params.policy ?? (params.policyRef ? await policyTexts.get(params.policyRef) : undefined);
    const replaced =
      params.replacedPolicy ?? (params.replacedPolicyRef ? await policyTexts.get(params.replacedPolicyRef) : undefined);
    if (policy === undefined || replaced === undefined)
      return { outcome: 'skipped', reason: 'the earlier policy is no longer kept: left for a person to decide' };
    return keyPolicyLock.around(keyArn, async (): Promise<ActionResult> => {
      const current = await kms.keyPolicy(keyArn);
      if (samePolicy(current, policy)) return { outcome: 'skipped', reason: 'the earlier policy is already in place' };
      // Someone changed the policy again since the signal: overwriting their change is a person's decision.
      if (!samePolicy(current, replaced))
        return {
          outcome: 'skipped',
          reason: 'the policy changed again after the suspect set it; left for a person to decide',
        };
      await kms.putKeyPolicy(keyArn, policy);
      return {
        outcome: 'applied',
        before: { policyRef: await policyTexts.put(current) },
        after: { policyRef: await policyTexts.put(policy) },
      };
    });
  },
  undo: async ({ keyArn }, { kms, keyPolicyLock, policyTexts }, result) => {
    if (result.outcome !== 'applied') return;
    // Stored before policies were kept out of line: the texts themselves.
    const before =
      typeof result.before.policy === 'string'
        ? result.before.policy
        : await policyTexts.get(String(result.before.policyRef));
    const restored =
      typeof result.after.policy === 'string'
        ? result.after.policy
        : await policyTexts.get(String(result.after.policyRef));
    if (before === undefined || restored === undefined) return;
    await keyPolicyLock.around(keyArn, async () => {
      // Only while the restored policy is still in place.
      if (samePolicy(await kms.keyPolicy(keyArn), restored)) await kms.putKeyPolicy(keyArn, before);
    });
  },
};
