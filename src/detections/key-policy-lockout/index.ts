import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { restorePolicy, isolate } from '../responses';

export const keyPolicyLockout = apiCallDetection({
  id: 'key-policy-lockout',
  family: 'key-sabotage',
  title: 'A key policy was set with the lockout safety check bypassed',
  severity: 'high',
  mitre: ['T1531'],
  stage: 'destruction',
  needs: ['keyPolicyHistory'],
  // A lockout policy is put back as it was before, when kms-warden saw it; there are no openings to close.
  respond: (signal, facts) => [...restorePolicy(signal, facts, { closeOpenings: false }), ...isolate(signal, facts)],
  appliesTo: ['PutKeyPolicy', 'CreateKey'],
  detect: (event) => {
    if (!isDirectSuccessfulCall(event)) return null;
    if (event.requestParameters.bypassPolicyLockoutSafetyCheck !== true) return null;
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} set the policy of ${event.keyArn ?? 'a key'} with BypassPolicyLockoutSafetyCheck: the account may no longer be able to manage the key`,
      evidence: { bypassPolicyLockoutSafetyCheck: true },
    };
  },
});
