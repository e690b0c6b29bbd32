import type { CloudTrailRecord } from '../../../src/events/cloudtrail-record';
import { byResponder, byRoot, failed, fromAccount, invokedByService, record, renamed, withRequest } from '../../support/records';

export interface ApiCallCase {
  name: string;
  record: CloudTrailRecord;
  expect?: { severity: string; evidence?: Record<string, unknown> };
}

/** An S3 PutObject data event (CloudTrail's documented shape) writing an object under the given KMS key. */
const s3PutObject = (keyArn: string): CloudTrailRecord => ({
  eventVersion: '1.08',
  userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/Alice', accountId: '111122223333', userName: 'Alice' },
  eventTime: '2026-11-20T10:00:00Z',
  eventSource: 's3.amazonaws.com',
  eventName: 'PutObject',
  awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.9',
  userAgent: '[aws-cli/2.22.4]',
  requestParameters: {
    bucketName: 'ledger-exports',
    key: 'exports/2026-11-20.csv',
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': keyArn,
  },
  responseElements: { 'x-amz-server-side-encryption': 'aws:kms' },
  eventID: `s3-${keyArn.slice(-6)}`,
  readOnly: false,
  resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::ledger-exports/exports/2026-11-20.csv' }],
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
});

const policy = (statement: Record<string, unknown>) => JSON.stringify({ Version: '2012-10-17', Statement: [statement] });
const anyoneMayDecrypt = { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:Decrypt', Resource: '*' };

/** Per detector: records that must fire it and records that must not. Every registered detector needs both. */
export const apiCallCases: Record<string, { match: ApiCallCase[]; noMatch: ApiCallCase[] }> = {
  'key-deletion-scheduled': {
    match: [
      {
        name: 'a key administrator with a 20-day window',
        record: record('ScheduleKeyDeletion.iam-user'),
        expect: { severity: 'high', evidence: { pendingWindowInDays: 20, callerIsKeyAdministrator: true } },
      },
      {
        name: 'a role that is not a key administrator',
        record: record('ScheduleKeyDeletion.assumed-role'),
        expect: { severity: 'critical', evidence: { pendingWindowInDays: 30, callerIsKeyAdministrator: false } },
      },
      {
        name: 'a key administrator with the shortest window',
        record: { ...record('ScheduleKeyDeletion.iam-user'), requestParameters: { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', pendingWindowInDays: 7 } },
        expect: { severity: 'critical', evidence: { pendingWindowInDays: 7, callerIsKeyAdministrator: true } },
      },
      { name: 'a multi-Region replica', record: record('ScheduleKeyDeletion.multi-region-replica'), expect: { severity: 'high' } },
      { name: 'a key in a custom key store', record: record('ScheduleKeyDeletion.custom-key-store'), expect: { severity: 'high' } },
      { name: 'a record without resources[]', record: record('ScheduleKeyDeletion.assumed-role.missing-resources'), expect: { severity: 'critical' } },
    ],
    noMatch: [
      { name: 'a failed call', record: failed(record('ScheduleKeyDeletion.assumed-role')) },
      { name: "the responder's own call", record: byResponder(record('ScheduleKeyDeletion.assumed-role')) },
      { name: 'an AWS service acting for a customer', record: invokedByService(record('ScheduleKeyDeletion.assumed-role')) },
      { name: 'a different KMS call', record: record('DisableKey.assumed-role') },
      { name: 'cancelling a deletion', record: record('CancelKeyDeletion.iam-user') },
    ],
  },
  'key-disabled': {
    match: [
      { name: 'a role that is not a key administrator', record: record('DisableKey.assumed-role'), expect: { severity: 'high' } },
      { name: 'a key administrator', record: record('DisableKey.iam-user'), expect: { severity: 'medium' } },
    ],
    noMatch: [
      { name: 'a failed call (NotFoundException)', record: record('DisableKey.not-found-error') },
      { name: "the responder's own call", record: byResponder(record('DisableKey.assumed-role')) },
      { name: 'an AWS service acting for a customer', record: invokedByService(record('DisableKey.assumed-role')) },
      { name: 'enabling a key', record: record('EnableKey.iam-user') },
    ],
  },
  'key-policy-public': {
    match: [
      { name: 'Principal "*" with no condition', record: record('PutKeyPolicy.wildcard-principal') },
      { name: 'Principal {"AWS": "*"} in a policy string', record: withRequest(record('PutKeyPolicy.default-policy'), { policy: policy(anyoneMayDecrypt) }) },
      {
        name: 'a condition that does not limit the caller',
        record: withRequest(record('PutKeyPolicy.default-policy'), { policy: policy({ ...anyoneMayDecrypt, Condition: { Bool: { 'aws:SecureTransport': 'true' } } }) }),
      },
    ],
    noMatch: [
      { name: 'a policy naming its own account', record: record('PutKeyPolicy.default-policy') },
      { name: 'a policy naming specific roles', record: record('PutKeyPolicy.restricted') },
      {
        name: 'Principal "*" limited to the organisation',
        record: withRequest(record('PutKeyPolicy.default-policy'), { policy: policy({ ...anyoneMayDecrypt, Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } } }) }),
      },
      {
        name: 'Principal "*" limited to a service and account',
        record: withRequest(record('PutKeyPolicy.default-policy'), {
          policy: policy({ ...anyoneMayDecrypt, Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com', 'kms:CallerAccount': '111122223333' } } }),
        }),
      },
      { name: 'a Deny for everyone', record: withRequest(record('PutKeyPolicy.default-policy'), { policy: policy({ ...anyoneMayDecrypt, Effect: 'Deny' }) }) },
      { name: 'a failed call', record: failed(record('PutKeyPolicy.wildcard-principal')) },
      { name: "the responder's own call", record: byResponder(record('PutKeyPolicy.wildcard-principal')) },
      { name: 'an AWS service acting for a customer', record: invokedByService(record('PutKeyPolicy.wildcard-principal')) },
      { name: 'a policy that is not JSON', record: withRequest(record('PutKeyPolicy.default-policy'), { policy: '{"Statement": [' }) },
    ],
  },
  'key-policy-cross-account': {
    match: [
      {
        name: 'CreateKey with a policy naming other accounts',
        record: record('CreateKey.policy-other-accounts'),
        expect: { severity: 'high', evidence: { accounts: ['012345678901'] } },
      },
      {
        name: 'PutKeyPolicy naming an external root',
        record: withRequest(record('PutKeyPolicy.default-policy'), {
          policy: policy({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::999988887777:root' }, Action: 'kms:Decrypt', Resource: '*' }),
        }),
        expect: { severity: 'high', evidence: { accounts: ['999988887777'] } },
      },
    ],
    noMatch: [
      { name: "the key's own account", record: record('PutKeyPolicy.default-policy') },
      {
        name: 'a trusted account',
        record: withRequest(record('PutKeyPolicy.default-policy'), { policy: policy({ Effect: 'Allow', Principal: { AWS: '444455556666' }, Action: 'kms:Decrypt', Resource: '*' }) }),
      },
      {
        name: 'a service principal',
        record: withRequest(record('PutKeyPolicy.default-policy'), { policy: policy({ Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:GenerateDataKey*', Resource: '*' }) }),
      },
      { name: 'CreateKey without a policy', record: record('CreateKey.external-origin') },
      { name: 'a failed call', record: failed(record('CreateKey.policy-other-accounts')) },
      { name: "the responder's own call", record: byResponder(record('CreateKey.policy-other-accounts')) },
      { name: 'an AWS service acting for a customer', record: invokedByService(record('CreateKey.policy-other-accounts')) },
    ],
  },
  'key-policy-lockout': {
    match: [{ name: 'BypassPolicyLockoutSafetyCheck true', record: withRequest(record('PutKeyPolicy.default-policy'), { bypassPolicyLockoutSafetyCheck: true }) }],
    noMatch: [
      { name: 'the check left on', record: record('PutKeyPolicy.default-policy') },
      { name: 'a failed call', record: failed(withRequest(record('PutKeyPolicy.default-policy'), { bypassPolicyLockoutSafetyCheck: true })) },
      { name: "the responder's own call", record: byResponder(withRequest(record('PutKeyPolicy.default-policy'), { bypassPolicyLockoutSafetyCheck: true })) },
      { name: 'an AWS service acting for a customer', record: invokedByService(withRequest(record('PutKeyPolicy.default-policy'), { bypassPolicyLockoutSafetyCheck: true })) },
    ],
  },
  'grant-external-principal': {
    match: [
      {
        name: 'a grantee in another account',
        record: withRequest(record('CreateGrant.iam-user'), { granteePrincipal: 'arn:aws:iam::999988887777:role/exfil' }),
        expect: { severity: 'high', evidence: { granteePrincipal: 'arn:aws:iam::999988887777:role/exfil' } },
      },
      { name: 'a retiring principal in another account', record: withRequest(record('CreateGrant.iam-user'), { retiringPrincipal: '999988887777' }) },
    ],
    noMatch: [
      { name: 'a grantee named by principal id', record: record('CreateGrant.iam-user') },
      { name: "EBS's grant to EC2 in the key's account", record: record('CreateGrant.ec2-infrastructure') },
      { name: 'DynamoDB acting for a customer', record: record('CreateGrant.invoked-by-dynamodb') },
      { name: 'a grantee in a trusted account', record: withRequest(record('CreateGrant.iam-user'), { granteePrincipal: 'arn:aws:iam::444455556666:role/backup' }) },
      { name: 'a failed call', record: failed(withRequest(record('CreateGrant.iam-user'), { granteePrincipal: 'arn:aws:iam::999988887777:role/exfil' })) },
      { name: "the responder's own call", record: byResponder(withRequest(record('CreateGrant.iam-user'), { granteePrincipal: 'arn:aws:iam::999988887777:role/exfil' })) },
    ],
  },
  'containment-tag-changed': {
    match: [
      {
        name: 'TagResource setting kms-warden:mode=observe, by root',
        record: byRoot(withRequest(record('TagResource.iam-user'), { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }] })),
        expect: { severity: 'high', evidence: { changed: { 'kms-warden:mode': 'observe' } } },
      },
      {
        name: 'UntagResource removing kms-warden:protected, by root',
        record: byRoot(renamed({ ...record('TagResource.iam-user'), requestParameters: { keyId: record('TagResource.iam-user').requestParameters!.keyId, tagKeys: ['kms-warden:protected'] } }, 'UntagResource')),
        expect: { severity: 'high', evidence: { changed: { 'kms-warden:protected': null } } },
      },
    ],
    noMatch: [
      { name: 'a tag that is not kms-warden\'s (the record as AWS documents it)', record: byRoot(record('TagResource.iam-user')) },
      { name: 'a key administrator setting kms-warden:mode', record: withRequest(record('TagResource.iam-user'), { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }] }) },
      { name: 'a failed call', record: failed(byRoot(withRequest(record('TagResource.iam-user'), { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }] }))) },
      { name: "the responder's own call", record: byResponder(withRequest(record('TagResource.iam-user'), { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'contain' }] })) },
      { name: 'an AWS service acting for a customer', record: invokedByService(byRoot(withRequest(record('TagResource.iam-user'), { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }] }))) },
    ],
  },
  'rotation-disabled': {
    match: [{ name: 'DisableKeyRotation', record: record('DisableKeyRotation.iam-user'), expect: { severity: 'medium' } }],
    noMatch: [
      { name: 'a failed call', record: failed(record('DisableKeyRotation.iam-user')) },
      { name: "the responder's own call", record: byResponder(record('DisableKeyRotation.iam-user')) },
      { name: 'an AWS service acting for a customer', record: invokedByService(record('DisableKeyRotation.iam-user')) },
    ],
  },
  'imported-material-deleted': {
    match: [{ name: 'DeleteImportedKeyMaterial', record: renamed(record('ImportKeyMaterial.iam-user'), 'DeleteImportedKeyMaterial'), expect: { severity: 'critical' } }],
    noMatch: [
      { name: 'importing material', record: record('ImportKeyMaterial.iam-user') },
      { name: 'a failed call', record: failed(renamed(record('ImportKeyMaterial.iam-user'), 'DeleteImportedKeyMaterial')) },
      { name: "the responder's own call", record: byResponder(renamed(record('ImportKeyMaterial.iam-user'), 'DeleteImportedKeyMaterial')) },
      { name: 'an AWS service acting for a customer', record: invokedByService(renamed(record('ImportKeyMaterial.iam-user'), 'DeleteImportedKeyMaterial')) },
    ],
  },
  'key-material-imported': {
    match: [{ name: 'ImportKeyMaterial', record: record('ImportKeyMaterial.iam-user'), expect: { severity: 'medium' } }],
    noMatch: [
      { name: 'a failed call', record: failed(record('ImportKeyMaterial.iam-user')) },
      { name: "the responder's own call", record: byResponder(record('ImportKeyMaterial.iam-user')) },
      { name: 'an AWS service acting for a customer', record: invokedByService(record('ImportKeyMaterial.iam-user')) },
    ],
  },
  'alias-retargeted': {
    match: [
      { name: 'UpdateAlias', record: record('UpdateAlias.iam-user'), expect: { severity: 'medium' } },
      { name: 'DeleteAlias', record: record('DeleteAlias.iam-user'), expect: { severity: 'medium' } },
    ],
    noMatch: [
      { name: 'a failed call', record: failed(record('UpdateAlias.iam-user')) },
      { name: "the responder's own call", record: byResponder(record('UpdateAlias.iam-user')) },
      { name: 'an AWS service acting for a customer', record: invokedByService(record('DeleteAlias.iam-user')) },
    ],
  },
  'key-replicated': {
    match: [
      { name: 'ReplicateKey', record: record('ReplicateKey.iam-user'), expect: { severity: 'medium', evidence: { region: 'us-west-2' } } },
      { name: 'UpdatePrimaryRegion', record: record('UpdatePrimaryRegion.iam-user') },
    ],
    noMatch: [
      { name: 'KMS completing the primary Region change', record: record('UpdatePrimaryRegion.invoked-by-kms') },
      { name: 'a failed call', record: failed(record('ReplicateKey.iam-user')) },
      { name: "the responder's own call", record: byResponder(record('ReplicateKey.iam-user')) },
    ],
  },
  'cross-account-key-use': {
    match: [
      { name: 'Decrypt by a user of another account', record: fromAccount(record('Decrypt.iam-user'), '999988887777'), expect: { severity: 'high', evidence: { callerAccount: '999988887777' } } },
    ],
    noMatch: [
      { name: 'Decrypt in the same account', record: record('Decrypt.iam-user') },
      { name: 'Decrypt from a trusted account', record: fromAccount(record('Decrypt.iam-user'), '444455556666') },
      { name: "CloudTrail's service account writing logs for the customer", record: record('GenerateDataKey.cloudtrail-service-account') },
      { name: 'DynamoDB acting for a customer', record: record('Decrypt.invoked-by-dynamodb') },
      { name: 'a failed call', record: failed(fromAccount(record('Decrypt.iam-user'), '999988887777')) },
    ],
  },
  'root-key-use': {
    match: [
      { name: 'DisableKey by root', record: byRoot(record('DisableKey.iam-user')) },
      { name: 'a failed Decrypt by root', record: failed(byRoot(record('Decrypt.iam-user'))), expect: { severity: 'high', evidence: { succeeded: false } } },
    ],
    noMatch: [
      { name: 'an IAM user', record: record('DisableKey.iam-user') },
      { name: 'an AWS service acting for root', record: invokedByService(byRoot(record('Decrypt.iam-user'))) },
    ],
  },
  'external-key-encryption': {
    match: [
      {
        name: 'PutObject under a key of another account',
        record: s3PutObject('arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
        expect: { severity: 'critical', evidence: { keyAccount: '999988887777', bucket: 'ledger-exports' } },
      },
      {
        name: 'CopyObject under a key of another account',
        record: renamed(s3PutObject('arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab'), 'CopyObject'),
      },
    ],
    noMatch: [
      { name: "PutObject under the account's own key", record: s3PutObject('arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab') },
      { name: 'PutObject under a trusted account key', record: s3PutObject('arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab') },
      { name: 'a failed call', record: failed(s3PutObject('arn:aws:kms:us-east-1:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab')) },
    ],
  },
};

