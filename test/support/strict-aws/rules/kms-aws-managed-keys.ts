import { jsonAnswer, withJson, type RuleContext, type StrictRule } from './rule';

/**
 * Operations that change a key: refused on AWS managed keys, whose key policy allows only reads and use through their
 * service.
 */
const changes = new Set([
  'PutKeyPolicy',
  'DisableKey',
  'EnableKey',
  'ScheduleKeyDeletion',
  'CancelKeyDeletion',
  'EnableKeyRotation',
  'DisableKeyRotation',
  'TagResource',
  'UntagResource',
  'UpdateKeyDescription',
  'CreateGrant',
  'RevokeGrant',
  'RotateKeyOnDemand',
]);

const isAwsManaged = async ({ emulator, keyArn, overlay }: RuleContext) => {
  const key = await keyArn();
  if (!key) return undefined;
  if (overlay.awsManagedKeys.has(key)) return key;
  // moto makes the key behind alias/aws/<service> on first use, as a customer managed key.
  if ((await emulator.aliasesOf(key)).some((alias) => alias.startsWith('alias/aws/'))) {
    overlay.awsManagedKeys.add(key);
    return key;
  }
  return undefined;
};

/** The policy AWS gives an AWS managed key (as captured for aws/s3 by FogSecurity/aws-managed-kms-keys). */
const managedPolicy = (account: string, service: string, region: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Id: `auto-${service}-1`,
    Statement: [
      {
        Sid: `Allow access through ${service} for all principals in the account that are authorized to use ${service}`,
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        Resource: '*',
        Condition: {
          StringEquals: { 'kms:CallerAccount': account, 'kms:ViaService': `${service}.${region}.amazonaws.com` },
        },
      },
      {
        Sid: 'Allow direct access to key metadata to the account',
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: ['kms:Describe*', 'kms:Get*', 'kms:List*'],
        Resource: '*',
      },
    ],
  });

/**
 * AWS managed keys (alias/aws/<service>) belong to their service: nobody may change their policy, state, rotation,
 * tags or grants. moto makes them as customer managed keys with the default policy.
 */
export const kmsAwsManagedKeys: StrictRule = {
  id: 'kms-aws-managed-keys',
  says: "AWS managed keys (alias/aws/*) report KeyManager AWS and their service's key policy; changing their policy, state, rotation, tags or grants is refused (AccessDeniedException)",
  docs: [
    'https://docs.aws.amazon.com/kms/latest/developerguide/editing-keys.html',
    'https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key',
  ],
  operations: [
    'kms:DescribeKey',
    'kms:GetKeyPolicy',
    'kms:GetKeyRotationStatus',
    ...[...changes].map((operation) => `kms:${operation}`),
  ],
  refuse: async (context) => {
    if (!changes.has(context.call.action)) return undefined;
    const key = await isAwsManaged(context);
    return key
      ? {
          code: 'AccessDeniedException',
          message: `User: ${context.identity.caller.arn} is not authorized to perform: kms:${context.call.action} on resource: ${key} because no resource-based policy allows the kms:${context.call.action} action`,
        }
      : undefined;
  },
  answer: async (context, answer) => {
    const body = jsonAnswer(answer);
    if (!body) return answer;
    const key = await isAwsManaged(context);
    if (!key) return answer;
    if (context.call.action === 'DescribeKey')
      return withJson(answer, { ...body, KeyMetadata: { ...(body.KeyMetadata as object), KeyManager: 'AWS' } });
    if (context.call.action === 'GetKeyRotationStatus') return withJson(answer, { ...body, KeyRotationEnabled: true });
    if (context.call.action === 'GetKeyPolicy') {
      const service = (
        (await context.emulator.aliasesOf(key)).find((alias) => alias.startsWith('alias/aws/')) ?? 'alias/aws/kms'
      ).slice('alias/aws/'.length);
      return withJson(answer, {
        ...body,
        Policy: managedPolicy(context.emulator.account, service, context.call.region),
      });
    }
    return answer;
  },
};
