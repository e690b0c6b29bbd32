import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { isolate } from '../responses';
import { accountOfKey, isExternalAccount } from '../../events/accounts';

/** KMS operations that use key material. */
export const cryptographicOperations = [
  'Decrypt',
  'Encrypt',
  'GenerateDataKey',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'GenerateDataKeyWithoutPlaintext',
  'ReEncrypt',
  'Sign',
  'Verify',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
] as const;

export const crossAccountKeyUse = apiCallDetection({
  id: 'cross-account-key-use',
  family: 'suspicious-use',
  title: 'A KMS key was used from another account',
  severity: 'high',
  mitre: ['T1552'],
  stage: 'credential-use',
  respond: (signal, facts) => isolate(signal, facts),
  appliesTo: cryptographicOperations,
  detect: (event, settings) => {
    if (!isDirectSuccessfulCall(event) || !event.keyArn) return null;
    const callerAccount = event.principal.accountId;
    if (!isExternalAccount(callerAccount, accountOfKey(event.keyArn), settings.trustedAccounts)) return null;
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} in account ${callerAccount} called ${event.eventName} with ${event.keyArn}`,
      evidence: { callerAccount, sourceIp: event.sourceIp },
    };
  },
});
