import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { byKeyAdministrator, isolate } from '../responses';
import { principalIsListed } from '../../events/principal';

/**
 * Who removes a grant, judged from the record alone. AWS services retire the grants they made when they are done
 * with them (invokedBy, or an AWSService identity), kms-warden revokes a suspect's grants, and key administrators
 * revoke grants: none of these is reported. Anyone else revoking a grant is; so is any person or workload retiring one,
 * a key administrator included (at low): retiring is how a grantee or retiring principal gives a grant up
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_RetireGrant.html), and a service's grant taken away
 * under it stops the service's use of the key.
 */
export const grantRemoved = apiCallDetection({
  id: 'grant-removed',
  // key-sabotage, not access-widened: removing a grant hands no access out; it breaks the workloads that relied on it.
  family: 'key-sabotage',
  title: 'A grant on a KMS key was revoked or retired by an unusual principal',
  severity: 'medium',
  mitre: ['T1531', 'T1489'],
  stage: 'destruction',
  respond: (signal, facts) => (byKeyAdministrator(signal) ? [] : isolate(signal, facts, 'approval')),
  appliesTo: ['RevokeGrant', 'RetireGrant'],
  detect: (event, settings) => {
    if (!isDirectSuccessfulCall(event)) return null;
    const callerIsKeyAdministrator = principalIsListed(event.principal, settings.keyAdministrators);
    const revoked = event.eventName === 'RevokeGrant';
    if (revoked && callerIsKeyAdministrator) return null;
    // RetireGrant's request is not logged (requestParameters is null); its grant id is in additionalEventData.
    const grantId = event.requestParameters.grantId;
    const grant = typeof grantId === 'string' ? `grant ${grantId}` : 'a grant';
    return {
      keyArn: event.keyArn,
      // Reported, but below the medium from which a step counts towards a story's stage (incidents/story).
      ...(callerIsKeyAdministrator ? { severity: 'low' as const } : {}),
      summary:
        `${event.principal.arn} ${revoked ? 'revoked' : 'retired'} ${grant} on ${event.keyArn ?? 'a KMS key'}: ` +
        'whatever used the key through that grant is refused from now on',
      evidence: { grantId, callerIsKeyAdministrator },
    };
  },
});
