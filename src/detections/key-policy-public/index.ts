import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { restorePolicy, isolate } from '../responses';
import { closingWithTrustedOrganizations } from '../../actions/close-open-key-policy';
import { admittedCallers, policyOf } from '../../events/key-policy';

export const keyPolicyPublic = apiCallDetection({
  id: 'key-policy-public',
  family: 'access-widened',
  title: 'A key policy lets anyone use the key',
  severity: 'critical',
  mitre: ['T1098', 'T1537'],
  stage: 'access-handed-out',
  needs: ['keyPolicyHistory'],
  respond: (signal, facts) => [
    ...closingWithTrustedOrganizations(restorePolicy(signal, facts), signal.evidence.trustedOrganizations),
    ...isolate(signal, facts),
  ],
  appliesTo: ['PutKeyPolicy', 'CreateKey'],
  detect: (event, settings) => {
    // Reported even when the record does not say which key: the policy itself is the finding.
    if (!isDirectSuccessfulCall(event)) return null;
    // Deny statements for everyone but some callers count: policyOf adds what they spare to each Allow they cover.
    const open = (policyOf(event.requestParameters) ?? []).filter(
      (s) => s.effect === 'Allow' && s.anyone && admittedCallers(s).kind === 'anyone',
    );
    if (open.length === 0) return null;
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} set a policy on ${event.keyArn ?? 'a key'} that lets any AWS principal call ${[
        ...new Set(open.flatMap((s) => s.actions)),
      ].join(', ')}`,
      evidence: {
        statements: open.map(({ sid, actions, exceptPrincipals, conditionKeys }) => ({
          sid,
          actions,
          ...(exceptPrincipals.length > 0 ? { exceptPrincipals } : {}),
          conditionKeys,
        })),
        // What the playbook's closing must leave in place, as this detector and key-policy-cross-account judged it.
        ...(settings.trustedOrganizations.length > 0
          ? { trustedOrganizations: [...settings.trustedOrganizations] }
          : {}),
      },
    };
  },
});
