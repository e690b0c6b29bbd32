import { jsonAnswer, withJson, type StrictRule } from './rule';

/** A secret another service manages is named after it: rds!db-..., redshift!..., events!... */
const owningService = (name: unknown) =>
  typeof name === 'string'
    ? /^(?:arn:[^:]+:secretsmanager:[^:]+:\d{12}:secret:)?([a-z0-9-]+)!/.exec(name)?.[1]
    : undefined;

/**
 * Secrets that another service manages (RDS, Redshift, EventBridge connections...) are changed through that service:
 * Secrets Manager refuses to update their value or settings, or to delete them without recovery. moto lets anyone
 * change them.
 */
export const secretsManagerManagedSecrets: StrictRule = {
  id: 'secretsmanager-managed-secrets',
  says: 'a secret managed by another service (named <service>!...) reports its OwningService and refuses UpdateSecret, PutSecretValue and forced deletion (InvalidRequestException)',
  docs: [
    'https://docs.aws.amazon.com/secretsmanager/latest/userguide/service-linked-secrets.html',
    'https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_UpdateSecret.html',
  ],
  operations: [
    'secretsmanager:UpdateSecret',
    'secretsmanager:PutSecretValue',
    'secretsmanager:DeleteSecret',
    'secretsmanager:DescribeSecret',
    'secretsmanager:ListSecrets',
  ],
  refuse: async ({ call, emulator }) => {
    if (call.action === 'DescribeSecret' || call.action === 'ListSecrets') return undefined;
    if (call.action === 'DeleteSecret' && call.params.ForceDeleteWithoutRecovery !== true) return undefined;
    const secret = await emulator.secret(String(call.params.SecretId ?? ''), call.region);
    const service = owningService(secret?.Name);
    return service
      ? {
          code: 'InvalidRequestException',
          message: `You can't perform this operation on the secret because it's managed by ${service}. Use ${service} to change it.`,
        }
      : undefined;
  },
  answer: async ({ call }, answer) => {
    const body = jsonAnswer(answer);
    if (!body) return answer;
    const withOwner = (secret: Record<string, unknown>) => {
      const service = owningService(secret.Name);
      return service ? { ...secret, OwningService: `${service}.amazonaws.com` } : secret;
    };
    if (call.action === 'DescribeSecret') return withJson(answer, withOwner(body));
    if (call.action === 'ListSecrets')
      return withJson(answer, {
        ...body,
        SecretList: ((body.SecretList ?? []) as Array<Record<string, unknown>>).map(withOwner),
      });
    return answer;
  },
};
