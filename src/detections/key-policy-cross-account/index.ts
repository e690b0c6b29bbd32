import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { restorePolicy, isolate } from '../responses';
import { accountOfKey, accountOfPrincipal, isExternalAccount } from '../../events/accounts';
import { policyOf } from '../../events/key-policy';

export const keyPolicyCrossAccount = apiCallDetection({
  id: 'key-policy-cross-account',
  family: 'access-widened',
  title: 'A key policy grants another account',
  severity: 'high',
  mitre: ['T1098'],
  stage: 'access-handed-out',
  needs: ['keyPolicyHistory'],
  respond: (signal, facts) => [...restorePolicy(signal, facts), ...isolate(signal, facts)],
  appliesTo: ['PutKeyPolicy', 'CreateKey'],
  detect: (event, settings) => {
    if (!isDirectSuccessfulCall(event)) return null;
    const own = (event.keyArn && accountOfKey(event.keyArn)) ?? event.accountId;
    const external = (policyOf(event.requestParameters) ?? [])
      .filter((s) => s.effect === 'Allow')
      .flatMap((s) => s.principals.map((principal) => ({ principal, actions: s.actions, sid: s.sid })))
      .filter(({ principal }) => isExternalAccount(accountOfPrincipal(principal), own, settings.trustedAccounts));
    if (external.length === 0) return null;
    const accounts = [...new Set(external.map(({ principal }) => accountOfPrincipal(principal)!))];
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} granted account(s) ${accounts.join(', ')} access to ${event.keyArn ?? 'a key'} in its key policy`,
      evidence: { accounts, grants: external },
    };
  },
});
