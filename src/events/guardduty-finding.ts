import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';
import { eventTimeSchema } from './cloudtrail-record';
import { partitionOf } from './accounts';
import type { Principal } from './principal';

/**
 * GuardDuty findings as EventBridge delivers them ("GuardDuty Finding", camelCase detail). Findings read with the
 * GetFindings API or CLI are PascalCase; they are accepted after their keys are camel-cased.
 * Reference: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html
 */

const accessKeyDetails = z.object({
  accessKeyId: z.string().optional(),
  principalId: z.string().optional(),
  userName: z.string().optional(),
  userType: z.string().optional(),
});

export const guardDutyFindingSchema = z.object({
  schemaVersion: z.string().optional(),
  accountId: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  id: z.string().min(1),
  arn: z.string().optional(),
  type: z.string().min(1),
  severity: z.number().min(0).max(10),
  title: z.string().optional(),
  description: z.string().optional(),
  createdAt: eventTimeSchema.optional(),
  updatedAt: eventTimeSchema,
  resource: z.object({ resourceType: z.string().optional(), accessKeyDetails: accessKeyDetails.optional() }).nullish(),
  service: z
    .object({
      count: z.number().optional(),
      eventFirstSeen: eventTimeSchema.optional(),
      eventLastSeen: eventTimeSchema.optional(),
      archived: z.boolean().optional(),
      additionalInfo: z.object({ sample: z.boolean().optional() }).nullish(),
      // Extended Threat Detection's attack sequences name their actors (Security Hub's Sequence/Actor/ActorUser).
      detection: z
        .object({
          sequence: z
            .object({
              actors: z
                .array(
                  z.object({
                    user: z
                      .object({
                        name: z.string().optional(),
                        uid: z.string().optional(),
                        type: z.string().optional(),
                        credentialUid: z.string().optional(),
                        account: z.object({ uid: z.string().optional() }).optional(),
                      })
                      .optional(),
                  }),
                )
                .optional(),
            })
            .optional(),
        })
        .optional(),
      action: z
        .object({
          actionType: z.string().optional(),
          awsApiCallAction: z
            .object({
              remoteIpDetails: z.object({ ipAddressV4: z.string().optional() }).optional(),
              api: z.string().optional(),
            })
            .optional(),
        })
        .optional(),
    })
    .nullish(),
});

export type GuardDutyFindingRecord = z.infer<typeof guardDutyFindingSchema>;

export const guardDutyFindingEventSchema = EventBridgeSchema.extend({
  'detail-type': z.literal('GuardDuty Finding'),
  detail: guardDutyFindingSchema,
});

const camel = (key: string) => key.charAt(0).toLowerCase() + key.slice(1);

/** GetFindings' PascalCase into EventBridge's camelCase, recursively. */
export const camelCaseKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [camel(key), camelCaseKeys(inner)]));
  }
  return value;
};

/** A finding reduced to what detection and containment read. */
export interface GuardDutyFinding {
  id: string;
  type: string;
  severity: number;
  accountId: string;
  region: string;
  updatedAt: string;
  /** Stable across GuardDuty's re-publications of the finding, unlike updatedAt. */
  createdAt: string;
  eventFirstSeen: string | undefined;
  eventLastSeen: string | undefined;
  count: number;
  sample: boolean;
  resourceType: string | undefined;
  accessKeyId: string | undefined;
  principal: Principal;
  /** Every principal the finding names: its actors for an attack sequence, else the one above. */
  principals: Principal[];
  sourceIp: string | undefined;
  title: string | undefined;
}

/** The principal a finding is about: accessKeyDetails, or for attack sequences the "IAMUser/name" in the title. */
const principalOf = (finding: GuardDutyFindingRecord): Principal => {
  const details = finding.resource?.accessKeyDetails;
  const account = finding.accountId;
  const partition = partitionOf(finding.region);
  const fromTitle = /\b(IAMUser|AssumedRole|Root)\/([\w+=,.@-]+)/.exec(finding.title ?? '');
  const userType = details?.userType ?? fromTitle?.[1];
  const name = details?.userName ?? fromTitle?.[2];
  const base = { accountId: account, ...(details?.accessKeyId ? { accessKeyId: details.accessKeyId } : {}) };
  switch (userType) {
    case 'IAMUser':
      return { kind: 'iam-user', arn: `arn:${partition}:iam::${account}:user/${name}`, ...base };
    case 'AssumedRole': {
      // GuardDuty gives the role name without its path; IAM role names are unique per account.
      const arn = `arn:${partition}:iam::${account}:role/${name}`;
      // An Identity Center permission set's role is many people; the session (principalId's part after the colon,
      // which Identity Center sets to the person) says which one, as CloudTrail's session name does.
      if (name?.startsWith('AWSReservedSSO_')) {
        const sessionName = details?.principalId?.split(':')[1];
        return { kind: 'identity-center', arn, ...base, ...(sessionName ? { sessionName } : {}) };
      }
      return { kind: 'assumed-role', arn, ...base };
    }
    case 'Root':
      return { kind: 'root', arn: `arn:${partition}:iam::${account}:root`, ...base };
    case 'FederatedUser':
      return { kind: 'federated-user', arn: `arn:${partition}:sts::${account}:federated-user/${name}`, ...base };
    default:
      return { kind: 'unknown', arn: name ? `unknown:${name}` : 'unknown', ...base };
  }
};

const principalFromActor = (
  user: { name?: string; type?: string; credentialUid?: string; account?: { uid?: string } },
  fallbackAccount: string,
  partition: string,
): Principal | undefined => {
  const account = user.account?.uid ?? fallbackAccount;
  const base = { accountId: account, ...(user.credentialUid ? { accessKeyId: user.credentialUid } : {}) };
  if (!user.name) return undefined;
  switch (user.type) {
    case 'IAMUser':
      return { kind: 'iam-user', arn: `arn:${partition}:iam::${account}:user/${user.name}`, ...base };
    case 'AssumedRole':
      return { kind: 'assumed-role', arn: `arn:${partition}:iam::${account}:role/${user.name}`, ...base };
    case 'Root':
      return { kind: 'root', arn: `arn:${partition}:iam::${account}:root`, ...base };
    default:
      return undefined;
  }
};

const principalsOf = (finding: GuardDutyFindingRecord, principal: Principal): Principal[] => {
  const actors = (finding.service?.detection?.sequence?.actors ?? [])
    .map((actor) =>
      actor.user ? principalFromActor(actor.user, finding.accountId, partitionOf(finding.region)) : undefined,
    )
    .filter((p): p is Principal => p !== undefined);
  const unique = new Map<string, Principal>();
  for (const actor of actors) if (!unique.has(actor.arn)) unique.set(actor.arn, actor);
  return unique.size > 0 ? [...unique.values()] : [principal];
};

export const normaliseGuardDutyFinding = (finding: GuardDutyFindingRecord): GuardDutyFinding => ({
  id: finding.id,
  type: finding.type,
  severity: finding.severity,
  accountId: finding.accountId,
  region: finding.region,
  updatedAt: finding.updatedAt,
  createdAt: finding.createdAt ?? finding.updatedAt,
  eventFirstSeen: finding.service?.eventFirstSeen,
  eventLastSeen: finding.service?.eventLastSeen,
  count: finding.service?.count ?? 1,
  sample: finding.service?.additionalInfo?.sample === true,
  resourceType: finding.resource?.resourceType,
  accessKeyId: finding.resource?.accessKeyDetails?.accessKeyId,
  principal: principalOf(finding),
  principals: principalsOf(finding, principalOf(finding)),
  sourceIp: finding.service?.action?.awsApiCallAction?.remoteIpDetails?.ipAddressV4,
  title: finding.title,
});
