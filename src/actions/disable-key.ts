import type { Action } from './action';

export interface DisableKeyParams {
  keyArn: string;
}

export const disableKey: Action<DisableKeyParams> = {
  type: 'disable-key',
  iamActions: ['kms:DescribeKey', 'kms:DisableKey', 'kms:EnableKey'],
  reversible: true,
  lane: ({ keyArn }) => `key-state:${keyArn}`,
  describe: ({ keyArn }) => `disable ${keyArn}: every workload that uses the key fails until it is enabled again`,
  apply: async ({ keyArn }, { kms }) => {
    const before = await kms.status(keyArn);
    // Only an Enabled key is disabled: a key already Disabled, pending deletion or pending import is left as it is.
    if (before.state !== 'Enabled')
      return { outcome: 'skipped', reason: `key is ${before.state}`, before: { ...before } };
    await kms.disableKey(keyArn);
    const after = await kms.status(keyArn);
    return { outcome: 'applied', before: { ...before }, after: { ...after } };
  },
  undo: async ({ keyArn }, { kms }, result) => {
    if (result.outcome === 'applied') await kms.enableKey(keyArn);
  },
};
