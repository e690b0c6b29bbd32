import { apiCallDetection, isDirectSuccessfulCall, type Signal } from '../detection';
import { restorePolicy, isolate, type Run } from '../responses';
import { closingWithTrustedOrganizations } from '../../actions/close-open-key-policy';
import { accountOfKey, accountOfPrincipal, isExternalAccount } from '../../events/accounts';
import { openingOf, policyOf, type PolicyStatement, type Trust } from '../../events/key-policy';

/** What a statement to everyone opens beyond the account, by what its conditions (and the Deny statements) name. */
const openedToEveryone = (s: PolicyStatement, trust: Trust) => {
  const opening = s.anyone ? openingOf(s, trust) : undefined;
  // Open to anyone at all: key-policy-public reports it.
  if (!opening || opening.kind === 'anyone') return [];
  const grant = { principal: '*', limitedBy: s.callerLimits.map(({ key }) => key), actions: s.actions, sid: s.sid };
  switch (opening.kind) {
    case 'accounts':
      return opening.accounts.map((account) => ({ ...grant, account }));
    case 'organizations':
      return opening.organizations.map((organization) => ({ ...grant, organization }));
    case 'unverified':
      return [{ ...grant, unverified: opening.values }];
  }
};

/** Who a statement lets in from outside: the principals it names, or what its conditions hold "*" to. */
const grantsOf = (s: PolicyStatement, trust: Trust) => [
  ...s.principals
    .map((principal) => ({ principal, account: accountOfPrincipal(principal), actions: s.actions, sid: s.sid }))
    .filter(({ account }) => isExternalAccount(account, trust.ownAccount, trust.trustedAccounts)),
  ...openedToEveryone(s, trust),
];

const listed = (values: readonly unknown[]) => [...new Set(values.filter((v): v is string => typeof v === 'string'))];

/**
 * Opened only to values kms-warden cannot tie to an account (a VPC endpoint, principal ids): the owner's own perimeter
 * as likely as an outsider's, so closing it, which would stop the owner's workloads, and isolating its author are
 * offered rather than done.
 */
const onlyUnverified = (signal: Signal) =>
  [signal.evidence.accounts, signal.evidence.organizations].every((v) => !Array.isArray(v) || v.length === 0) &&
  Array.isArray(signal.evidence.unverified) &&
  signal.evidence.unverified.length > 0;

export const keyPolicyCrossAccount = apiCallDetection({
  id: 'key-policy-cross-account',
  family: 'access-widened',
  title: 'A key policy grants another account',
  // High in every case, unverified ones included: a VPC endpoint or role id the attacker chose opens the key as widely
  // as naming their account, and only a person can tell it from the owner's own perimeter (the playbook asks one).
  severity: 'high',
  mitre: ['T1098'],
  stage: 'access-handed-out',
  needs: ['keyPolicyHistory'],
  respond: (signal, facts) => {
    const run: Run = onlyUnverified(signal) ? 'approval' : 'automatic';
    const policySteps = closingWithTrustedOrganizations(
      restorePolicy(signal, facts),
      signal.evidence.trustedOrganizations,
    ).map((step) =>
      run === 'approval'
        ? { ...step, run, why: "the policy may be the owner's own perimeter: closing it could stop their workloads" }
        : step,
    );
    return [...policySteps, ...isolate(signal, facts, run)];
  },
  appliesTo: ['PutKeyPolicy', 'CreateKey'],
  detect: (event, settings) => {
    if (!isDirectSuccessfulCall(event)) return null;
    const trust: Trust = {
      ownAccount: (event.keyArn && accountOfKey(event.keyArn)) ?? event.accountId,
      trustedAccounts: settings.trustedAccounts,
      trustedOrganizations: settings.trustedOrganizations,
    };
    const grants = (policyOf(event.requestParameters) ?? [])
      .filter((s) => s.effect === 'Allow')
      .flatMap((s) => grantsOf(s, trust));
    if (grants.length === 0) return null;
    const accounts = listed(grants.map((g) => ('account' in g ? g.account : undefined)));
    const organizations = listed(grants.map((g) => ('organization' in g ? g.organization : undefined)));
    const unverified = listed(grants.flatMap((g) => ('unverified' in g ? g.unverified : [])));
    const key = event.keyArn ?? 'a key';
    const opened = [
      ...(organizations.length > 0
        ? [
            `opened ${key} to organization(s) ${organizations.join(', ')} (add it to trustedOrganizations if it is yours)`,
          ]
        : []),
      ...(unverified.length > 0
        ? [`opened ${key} to everyone limited to ${unverified.join(', ')}, which kms-warden cannot tie to this account`]
        : []),
    ];
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} ${[
        ...(accounts.length > 0
          ? [`granted account(s) ${accounts.join(', ')} access to ${key} in its key policy`]
          : []),
        ...opened,
      ].join('; ')}`,
      evidence: {
        accounts,
        ...(organizations.length > 0 ? { organizations } : {}),
        ...(unverified.length > 0 ? { unverified } : {}),
        grants,
        // What the playbook's closing must leave in place, as this detector and key-policy-public judged it.
        ...(settings.trustedOrganizations.length > 0
          ? { trustedOrganizations: [...settings.trustedOrganizations] }
          : {}),
      },
    };
  },
});
