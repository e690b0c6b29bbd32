import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { isolate } from '../responses';
import { accountOfKey, accountOfPrincipal, isExternalAccount } from '../../events/accounts';

export const grantExternalPrincipal = apiCallDetection({
  id: 'grant-external-principal',
  family: 'access-widened',
  title: 'A grant on a KMS key was given to another account',
  severity: 'high',
  mitre: ['T1098'],
  stage: 'access-handed-out',
  respond: (signal, facts) => isolate(signal, facts),
  appliesTo: ['CreateGrant'],
  detect: (event, settings) => {
    if (!isDirectSuccessfulCall(event) || !event.keyArn) return null;
    const own = accountOfKey(event.keyArn);
    const named = {
      granteePrincipal: event.requestParameters.granteePrincipal,
      retiringPrincipal: event.requestParameters.retiringPrincipal,
    };
    const external = Object.entries(named).filter(
      ([, principal]) =>
        typeof principal === 'string' &&
        isExternalAccount(accountOfPrincipal(principal), own, settings.trustedAccounts),
    );
    if (external.length === 0) return null;
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} gave ${external.map(([, p]) => String(p)).join(' and ')} a grant on ${event.keyArn}`,
      evidence: {
        ...Object.fromEntries(external),
        operations: event.requestParameters.operations,
        grantId: event.responseElements.grantId,
      },
    };
  },
});
