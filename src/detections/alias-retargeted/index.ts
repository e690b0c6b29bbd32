import { apiCallDetection, isDirectSuccessfulCall, type Detection } from '../detection';
import { isolate } from '../responses';
import { accountOfKey, isExternalAccount } from '../../events/accounts';
import type { KmsApiCall } from '../../events/kms-api-call';

/** Reserved for AWS managed keys: CreateAlias refuses alias names under it (InvalidAliasNameException). */
const reservedPrefix = 'alias/aws/';

/**
 * An attempt AWS refuses is still reported: an alias and its key must be in the same account and Region, and
 * `alias/aws/` names are AWS's (https://docs.aws.amazon.com/kms/latest/developerguide/alias-about.html,
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html), so the refusal CloudTrail records is all
 * there is to see of someone pointing an alias at an outsider's key, or shadowing an AWS managed key's alias.
 */
const attempt = (event: KmsApiCall, trustedAccounts: readonly string[]): Detection | null => {
  if (event.eventName === 'DeleteAlias') return null;
  const aliasName = String(event.requestParameters.aliasName);
  const target = event.requestParameters.targetKeyId;
  // A bare key id names a key of the caller's own account; an ARN names its account.
  const targetAccount = typeof target === 'string' ? accountOfKey(target) : undefined;
  const outsider = isExternalAccount(targetAccount, event.accountId, trustedAccounts);
  const reserved = event.eventName === 'CreateAlias' && aliasName.startsWith(reservedPrefix);
  if (!outsider && !reserved) return null;
  const [pointed, created, outcome] = event.succeeded
    ? ['pointed', 'created', '']
    : ['tried to point', 'tried to create', ` (refused: ${event.errorCode ?? 'an error'})`];
  return {
    // Another account's key is not kms-warden's to act on: the caller is.
    keyArn: outsider ? undefined : event.keyArn,
    ...(outsider && event.succeeded ? { severity: 'high' as const } : {}),
    summary: outsider
      ? `${event.principal.arn} ${pointed} alias ${aliasName} at ${String(target)}, a key of account ` +
        `${String(targetAccount)}${outcome}: what is encrypted under the alias would be readable by that account`
      : `${event.principal.arn} ${created} alias ${aliasName} under ${reservedPrefix}, the prefix of AWS ` +
        `managed keys${outcome}`,
    evidence: {
      aliasName,
      targetKeyId: target,
      ...(outsider ? { targetAccount } : { reservedPrefix }),
      refused: !event.succeeded,
      errorCode: event.errorCode,
    },
  };
};

export const aliasRetargeted = apiCallDetection({
  id: 'alias-retargeted',
  family: 'access-widened',
  title: "A KMS alias was pointed at another key, at another account's key, or deleted",
  severity: 'medium',
  mitre: ['T1565'],
  stage: 'access-handed-out',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  // CreateAlias to a key of the account is what every deployment does: only the attempts above are reported.
  appliesTo: ['CreateAlias', 'UpdateAlias', 'DeleteAlias'],
  // Anyone may make a refused call, as often as they like: refused attempts are raised once an hour per principal.
  reportedOncePer: { hours: 1, subject: (signal) => (signal.evidence.refused === true ? 'refused' : undefined) },
  detect: (event, settings) => {
    if (event.byResponder || event.invokedBy) return null;
    const attempted = attempt(event, settings.trustedAccounts);
    if (attempted) return attempted;
    if (event.eventName === 'CreateAlias' || !isDirectSuccessfulCall(event)) return null;
    const aliasName = event.requestParameters.aliasName;
    const target = event.requestParameters.targetKeyId;
    return {
      keyArn: event.keyArn,
      summary:
        event.eventName === 'DeleteAlias'
          ? `${event.principal.arn} deleted alias ${String(aliasName)}`
          : `${event.principal.arn} pointed alias ${String(aliasName)} at ${String(target)}`,
      evidence: { aliasName, targetKeyId: target },
    };
  },
});
