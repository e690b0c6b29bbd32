import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { restorePolicy, isolate } from '../responses';
import { accountOfKey, accountOfPrincipal, isExternalAccount } from '../../events/accounts';
import { admittedCallers, policyOf, type PolicyStatement } from '../../events/key-policy';

/** Who a statement lets in, by account: the principals it names, or the accounts its conditions hold "*" to. */
const grantsOf = (s: PolicyStatement) => {
  const admitted = admittedCallers(s);
  const limitedTo =
    s.anyone && admitted.kind === 'accounts'
      ? admitted.accounts.map((account) => ({
          principal: '*',
          account,
          limitedBy: s.callerLimits.map(({ key }) => key),
          actions: s.actions,
          sid: s.sid,
        }))
      : [];
  const named = s.principals.map((principal) => ({
    principal,
    account: accountOfPrincipal(principal),
    actions: s.actions,
    sid: s.sid,
  }));
  return [...named, ...limitedTo];
};

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
      .flatMap(grantsOf)
      .filter(({ account }) => isExternalAccount(account, own, settings.trustedAccounts));
    if (external.length === 0) return null;
    const accounts = [...new Set(external.map(({ account }) => account!))];
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} granted account(s) ${accounts.join(', ')} access to ${event.keyArn ?? 'a key'} in its key policy`,
      evidence: { accounts, grants: external },
    };
  },
});
