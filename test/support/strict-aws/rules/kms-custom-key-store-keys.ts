import { jsonAnswer, withJson, type StrictRule } from './rule';

/**
 * A key made in a custom key store (CloudHSM or external) carries its store's id and origin. moto accepts
 * CustomKeyStoreId and drops it; the layer remembers it, so code that must treat such keys differently (rotation,
 * a replacement in the same store) sees what AWS reports.
 */
export const kmsCustomKeyStoreKeys: StrictRule = {
  id: 'kms-custom-key-store-keys',
  says: 'a key created in a custom key store reports its CustomKeyStoreId and origin (AWS_CLOUDHSM or EXTERNAL_KEY_STORE)',
  docs: [
    'https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html',
    'https://docs.aws.amazon.com/kms/latest/developerguide/custom-key-store-overview.html',
  ],
  operations: ['kms:CreateKey', 'kms:DescribeKey'],
  answer: async ({ call, overlay, keyArn }, answer) => {
    const body = jsonAnswer(answer);
    const metadata = body?.KeyMetadata as Record<string, unknown> | undefined;
    if (!body || !metadata) return answer;
    if (call.action === 'CreateKey' && typeof call.params.CustomKeyStoreId === 'string') {
      const origin = call.params.Origin === 'EXTERNAL_KEY_STORE' ? 'EXTERNAL_KEY_STORE' : 'AWS_CLOUDHSM';
      Object.assign(overlay.key(String(metadata.Arn)), { customKeyStoreId: call.params.CustomKeyStoreId, origin });
    }
    const key = call.action === 'CreateKey' ? String(metadata.Arn) : await keyArn();
    const stored = key ? overlay.keys.get(key) : undefined;
    if (!stored?.customKeyStoreId) return answer;
    return withJson(answer, {
      ...body,
      KeyMetadata: { ...metadata, CustomKeyStoreId: stored.customKeyStoreId, Origin: stored.origin },
    });
  },
};
