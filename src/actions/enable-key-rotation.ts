import type { Action } from './action';

export interface EnableKeyRotationParams {
  keyArn: string;
}

export const enableKeyRotation: Action<EnableKeyRotationParams> = {
  type: 'enable-key-rotation',
  iamActions: ['kms:GetKeyRotationStatus', 'kms:EnableKeyRotation', 'kms:DisableKeyRotation'],
  reversible: true,
  lane: ({ keyArn }) => `rotation:${keyArn}`,
  describe: ({ keyArn }) =>
    `turn automatic rotation of ${keyArn} back on (new key material yearly; old data stays readable)`,
  apply: async ({ keyArn }, { kms }) => {
    if (await kms.rotationEnabled(keyArn))
      return { outcome: 'skipped', reason: 'rotation is already on', before: { rotationEnabled: true } };
    await kms.enableKeyRotation(keyArn);
    return {
      outcome: 'applied',
      before: { rotationEnabled: false },
      after: { rotationEnabled: await kms.rotationEnabled(keyArn) },
    };
  },
  undo: async ({ keyArn }, { kms }, result) => {
    if (result.outcome === 'applied') await kms.disableKeyRotation(keyArn);
  },
};
