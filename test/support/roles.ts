import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';

/**
 * A workload's role in the emulator (EC2 may assume it), for tests whose suspect must exist: quarantine writes an
 * inline policy on it. Returns its ARN.
 */
export const createWorkloadRole = async (name: string, account = '123456789012'): Promise<string> => {
  await new IAMClient({}).send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  );
  return `arn:aws:iam::${account}:role/${name}`;
};
