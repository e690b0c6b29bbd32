import type { Refusal } from '../aws-call';
import { jsonAnswer, withJson, type RuleContext, type StrictRule } from './rule';

/** What kind of key it is, as far as rotation goes: the metadata moto keeps and the custom key store it drops. */
const kindOf = async ({ emulator, overlay, keyArn }: RuleContext) => {
  const key = await keyArn();
  const metadata = key ? await emulator.keyMetadata(key) : undefined;
  if (!key || !metadata) return undefined;
  if (overlay.keys.get(key)?.customKeyStoreId) return { key, kind: 'custom-key-store' as const };
  if (metadata.Origin === 'EXTERNAL') return { key, kind: 'imported' as const };
  if (metadata.KeySpec !== 'SYMMETRIC_DEFAULT') return { key, kind: 'not-symmetric' as const };
  return { key, kind: 'rotatable' as const };
};

/**
 * Automatic and on-demand rotation exist only for symmetric encryption keys with key material KMS made. Enabling or
 * disabling rotation of an asymmetric, HMAC, imported-material or custom-key-store key is refused; reading the
 * status of an asymmetric or HMAC key answers false, of an imported or custom-key-store key is refused (key state
 * table, footnotes 6 and 7). moto rotates every key.
 */
export const kmsRotationUnsupported: StrictRule = {
  id: 'kms-rotation-unsupported',
  says: 'rotation calls on asymmetric, HMAC, imported-material and custom-key-store keys raise UnsupportedOperationException (GetKeyRotationStatus answers false for asymmetric and HMAC keys)',
  docs: [
    'https://docs.aws.amazon.com/kms/latest/APIReference/API_EnableKeyRotation.html',
    'https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html',
    'https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html',
  ],
  operations: ['kms:EnableKeyRotation', 'kms:DisableKeyRotation', 'kms:GetKeyRotationStatus', 'kms:RotateKeyOnDemand'],
  refuse: async (context): Promise<Refusal | undefined> => {
    const found = await kindOf(context);
    if (!found || found.kind === 'rotatable') return undefined;
    if (found.kind === 'not-symmetric' && context.call.action === 'GetKeyRotationStatus') return undefined;
    if (found.kind === 'imported')
      return {
        code: 'UnsupportedOperationException',
        message: `${found.key} origin is EXTERNAL which is not valid for this operation.`,
      };
    return {
      code: 'UnsupportedOperationException',
      message: `${found.key}: rotation is supported only for symmetric encryption keys with key material made by KMS (this key is ${found.kind === 'custom-key-store' ? 'in a custom key store' : 'asymmetric or HMAC'}).`,
    };
  },
  answer: async (context, answer) => {
    if (context.call.action !== 'GetKeyRotationStatus') return answer;
    const body = jsonAnswer(answer);
    const found = body ? await kindOf(context) : undefined;
    return found?.kind === 'not-symmetric' ? withJson(answer, { ...body, KeyRotationEnabled: false }) : answer;
  },
};
