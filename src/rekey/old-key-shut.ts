import { denySidPrefix } from '../actions/deny-principal-in-key-policy';

/**
 * The statement that shuts the old key during re-keying: a deny of every cryptographic use (and of new grants) to
 * everyone but the principals re-keying runs as. It starts with kms-warden's deny prefix, so the replacement never
 * copies it (policyWithoutContainment).
 */
export const rekeyOnlySid = `${denySidPrefix}AllButRekeying`;

/**
 * What the statement denies: every operation that uses the key's material, and CreateGrant, through which someone
 * could be given such use. Not DescribeKey or the key's management: its administrators keep those (and can remove the
 * statement), as the key policy already lets them.
 * https://docs.aws.amazon.com/kms/latest/developerguide/kms-cryptography.html#cryptographic-operations
 */
export const keyUses = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
  'kms:GenerateDataKeyPair',
  'kms:GenerateDataKeyPairWithoutPlaintext',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:Sign',
  'kms:Verify',
  'kms:GenerateMac',
  'kms:VerifyMac',
  'kms:DeriveSharedSecret',
  'kms:CreateGrant',
] as const;

/**
 * Denies the key's uses to every principal but those given (the re-key role, and S3 Batch Operations' role for the
 * copies it makes): an AWS service moving a resource for the re-key role calls KMS as that role (forward access
 * sessions, https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html), so it is let
 * through. Not denied: AWS services calling as themselves (aws:PrincipalIsAWSService, such as DynamoDB's access
 * through its grants, which keeps tables not yet moved readable), service-linked roles (the /aws-service-role/ path
 * only AWS can create roles under), and EC2's infrastructure role, which uses the grants of encrypted EBS volumes when
 * an instance starts: denying it would stop instances whose volumes wait for a person's swap from launching
 * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption-requirements.html#ebs-encryption-instance-permissions).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalisawsservice
 */
export const rekeyOnlyStatement = (keyArn: string, keptFor: readonly string[]) => {
  const [, partition = 'aws', , , account = ''] = keyArn.split(':');
  return {
    Sid: rekeyOnlySid,
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: [...keyUses],
    Resource: '*',
    Condition: {
      ArnNotLike: {
        'aws:PrincipalArn': [
          ...keptFor,
          `arn:${partition}:iam::${account}:role/aws-service-role/*`,
          `arn:${partition}:iam::${account}:role/aws:ec2-infrastructure`,
        ],
      },
      Bool: { 'aws:PrincipalIsAWSService': 'false' },
    },
  };
};

type Statement = { Sid?: string } & Record<string, unknown>;

/**
 * The key policy with the statement in place (replacing an earlier one of the same Sid), or undefined when it is
 * already there as it should be.
 */
export const shutPolicy = (policyText: string, keyArn: string, keptFor: readonly string[]): string | undefined => {
  const policy = JSON.parse(policyText) as { Statement?: Statement | Statement[] } & Record<string, unknown>;
  const statements = Array.isArray(policy.Statement) ? policy.Statement : policy.Statement ? [policy.Statement] : [];
  const wanted = rekeyOnlyStatement(keyArn, keptFor);
  const current = statements.find((s) => s.Sid === rekeyOnlySid);
  if (current && JSON.stringify(current) === JSON.stringify(wanted)) return undefined;
  return JSON.stringify({ ...policy, Statement: [...statements.filter((s) => s.Sid !== rekeyOnlySid), wanted] });
};
