import { createHash, randomUUID } from 'node:crypto';
import type { CloudTrailRecord } from '../events/cloudtrail-record';

/**
 * The emulator does not write CloudTrail. After a real call against it, these build the record CloudTrail would
 * have delivered, in the shape of the real records in test/fixtures/real (version 1.08 management events).
 */

export interface Caller {
  /** An assumed-role session: role ARN (with its path) and session name. */
  roleArn: string;
  sessionName: string;
  sourceIp?: string;
  userAgent?: string;
}

const accountOf = (arn: string) => arn.split(':')[4] ?? '123456789012';
const regionOf = (arn: string) => arn.split(':')[3] ?? 'us-east-1';

/** A role's unique id as IAM shows it (AROA and 17 more), made from its ARN: the same role, the same id. */
export const roleIdOf = (roleArn: string): string =>
  `AROA${createHash('sha256').update(roleArn).digest('hex').toUpperCase().slice(0, 17)}`;

export const assumedRoleIdentity = (caller: Caller) => {
  const account = accountOf(caller.roleArn);
  const roleName = caller.roleArn.split('/').at(-1)!;
  const roleId = roleIdOf(caller.roleArn);
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${caller.sessionName}`,
    arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${caller.sessionName}`,
    accountId: account,
    accessKeyId: 'ASIAEXAMPLEKEYID0001',
    sessionContext: {
      sessionIssuer: {
        type: 'Role',
        principalId: roleId,
        arn: caller.roleArn,
        accountId: account,
        userName: roleName,
      },
      attributes: { creationDate: new Date().toISOString(), mfaAuthenticated: 'false' },
    },
  };
};

export const kmsApiCallRecord = (input: {
  eventName: string;
  keyArn: string;
  caller: Caller;
  requestParameters: Record<string, unknown>;
  responseElements?: Record<string, unknown> | null;
  errorCode?: string;
  eventTime?: Date;
  eventId?: string;
  readOnly?: boolean;
}): CloudTrailRecord => {
  const account = accountOf(input.keyArn);
  return {
    eventVersion: '1.08',
    userIdentity: assumedRoleIdentity(input.caller),
    eventTime: (input.eventTime ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: 'kms.amazonaws.com',
    eventName: input.eventName,
    awsRegion: regionOf(input.keyArn),
    sourceIPAddress: input.caller.sourceIp ?? '198.51.100.23',
    userAgent: input.caller.userAgent ?? 'aws-cli/2.22.4 md/Botocore#1.35.63 ua/2.0 os/linux#6.8.0 md/arch#x86_64',
    ...(input.errorCode
      ? { errorCode: input.errorCode, errorMessage: `${input.errorCode} for ${input.eventName}` }
      : {}),
    requestParameters: input.requestParameters,
    responseElements: input.errorCode ? null : (input.responseElements ?? null),
    eventID: input.eventId ?? randomUUID(),
    readOnly: input.readOnly ?? false,
    resources: [{ accountId: account, type: 'AWS::KMS::Key', ARN: input.keyArn }],
    eventType: 'AwsApiCall',
    recipientAccountId: account,
  };
};

/** The EventBridge envelope for an "AWS API Call via CloudTrail" event. */
export const viaEventBridge = (detail: CloudTrailRecord, id: string = randomUUID()) => ({
  version: '0',
  id,
  'detail-type': 'AWS API Call via CloudTrail' as const,
  source: 'aws.kms',
  account: detail.recipientAccountId ?? '123456789012',
  time: detail.eventTime,
  region: detail.awsRegion,
  resources: [] as string[],
  detail,
});
