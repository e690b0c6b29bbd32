import { parsePolicy, type Statement } from '../policy-evaluation';
import type { RuleContext, StrictRule } from './rule';

const principalsOf = (statement: Statement): string[] => {
  const element = (statement.Principal ?? statement.NotPrincipal) as unknown;
  if (element === undefined || element === '*') return [];
  const aws = (element as { AWS?: string | string[] }).AWS;
  return aws === undefined ? [] : Array.isArray(aws) ? aws : [aws];
};

/** Whether a principal of the emulated account exists; principals of other accounts cannot be known here. */
const exists = async (principal: string, { emulator }: RuleContext): Promise<boolean> => {
  if (principal === '*' || /^\d{12}$/.test(principal)) return true;
  const arn = /^arn:[\w-]+:(iam|sts)::(\d{12}):(root|role|user|assumed-role)(?:\/(.*))?$/.exec(principal);
  if (!arn) return false;
  const [, , account, type, rest = ''] = arn;
  if (account !== emulator.account || type === 'root') return true;
  if (type === 'assumed-role') return (await emulator.role(rest.split('/')[0]!)) !== undefined;
  const name = rest.slice(rest.lastIndexOf('/') + 1);
  const found = type === 'role' ? await emulator.role(name) : await emulator.user(name);
  // The ARN must be the principal's own, path included.
  return found?.Arn === principal;
};

/**
 * Every principal a key policy names must exist and be visible to KMS. Checked for the emulated account's roles and
 * users; another account's principals are taken as they are (the emulator holds one account).
 */
export const kmsKeyPolicyPrincipals: StrictRule = {
  id: 'kms-key-policy-principals',
  says: "every role and user a key policy names must exist (MalformedPolicyDocumentException); the emulated account's principals are checked, other accounts' are not",
  docs: [
    'https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html',
    'https://repost.aws/knowledge-center/kms-policy-error-invalid-principals',
  ],
  operations: ['kms:CreateKey', 'kms:PutKeyPolicy', 'kms:ReplicateKey'],
  refuse: async (context) => {
    const text = context.call.params.Policy;
    if (typeof text !== 'string') return undefined;
    let statements: Statement[];
    try {
      const policy = parsePolicy(text);
      statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
    } catch {
      return undefined;
    }
    for (const statement of statements) {
      for (const principal of principalsOf(statement)) {
        if (!(await exists(principal, context)))
          return {
            code: 'MalformedPolicyDocumentException',
            message: 'Policy contains a statement with one or more invalid principals.',
          };
      }
    }
    return undefined;
  },
};
