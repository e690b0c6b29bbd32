import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { isolate } from '../responses';
import { accountOfKey, isExternalAccount } from '../../events/accounts';

const kmsKeyHeader = 'x-amz-server-side-encryption-aws-kms-key-id';

export const externalKeyEncryption = apiCallDetection({
  id: 'external-key-encryption',
  family: 'key-sabotage',
  title: "S3 objects encrypted with another account's KMS key",
  severity: 'critical',
  mitre: ['T1486'],
  stage: 'destruction',
  // The key is the outsider's: nothing is done to it; the writer is isolated.
  respond: (signal, facts) => isolate({ ...signal, keyArn: undefined }, facts),
  appliesTo: ['PutObject', 'CopyObject'],
  // The ransomware pattern: rewrite objects under a key the attacker owns, then take the key away.
  detect: (event, settings) => {
    if (!isDirectSuccessfulCall(event) || event.eventSource !== 's3.amazonaws.com') return null;
    const keyArn = event.requestParameters[kmsKeyHeader];
    if (typeof keyArn !== 'string') return null;
    const keyAccount = accountOfKey(keyArn);
    if (!isExternalAccount(keyAccount, event.accountId, settings.trustedAccounts)) return null;
    return {
      keyArn,
      summary: `${event.principal.arn} wrote s3://${String(event.requestParameters.bucketName)}/${String(event.requestParameters.key)} encrypted with a key of account ${keyAccount}`,
      evidence: { bucket: event.requestParameters.bucketName, objectKey: event.requestParameters.key, keyAccount },
    };
  },
});
