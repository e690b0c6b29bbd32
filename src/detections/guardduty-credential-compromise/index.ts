import { principalKey } from '../../events/principal';
import type { DetectionMemory } from '../../state/detection-memory';
import { principalMemoryOf } from '../memory';
import { isKeyUse } from '../new-principal-for-key';
import { hourOf } from '../usage-spike';
import type { PlannedAction } from '../../actions';
import { findingDetection, type PlanningFacts, type Severity, type Signal } from '../detection';
import { denyStep, guardOf, isFederatedSession, isolate, revokeStep, suspectIsIam, type Run } from '../responses';

/** Finding families that mean an IAM credential is in the wrong hands. Recon:IAMUser is the older name of Discovery. */
const credentialFamilies =
  /^(UnauthorizedAccess|CredentialAccess|Impact|Exfiltration|Persistence|PrivilegeEscalation|DefenseEvasion|Discovery|InitialAccess|Stealth|Recon):IAMUser\//;
const alsoCredential = /^(AttackSequence:IAM\/|Policy:IAMUser\/RootCredentialUsage)/;
/**
 * The root user's credentials in use. GuardDuty gives it Low severity by default
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html), under the usual minimum: it
 * passes at its own threshold, `guardDutyRootCredentialSeverity`.
 */
const rootCredentialUsage = 'Policy:IAMUser/RootCredentialUsage';

const severityOf = (score: number): Severity => (score >= 9 ? 'critical' : score >= 7 ? 'high' : 'medium');

/**
 * A leaked credential: cut its sessions first, then shut it out of every key it used recently, each key as its
 * mode says (observe: offered; lockdown: also disabled unless protected).
 */
const containLeakedCredential = (signal: Signal, facts: PlanningFacts): PlannedAction[] => {
  // Below GuardDuty's High (by default), a finding is likelier wrong: the quarantine is offered, not applied.
  const score = Number(signal.evidence.guardDutySeverity ?? 10);
  const quarantineRun: Run = score >= (facts.guardDutyQuarantineSeverity ?? 7) ? 'automatic' : 'approval';
  const steps: PlannedAction[] = isolate(signal, facts).map((step) =>
    step.type === 'quarantine-principal' && quarantineRun === 'approval' && step.run === 'automatic'
      ? {
          ...step,
          run: 'approval' as const,
          why: `GuardDuty severity ${score} is below ${facts.guardDutyQuarantineSeverity ?? 7}: quarantine is offered, not applied`,
        }
      : step,
  );
  // A federated session is denied on the keys it used as well, by its own ARN.
  if (!suspectIsIam(signal) && !isFederatedSession(signal.principal.arn)) return steps;
  // The guard's answer holds on every key: a service-linked role is only ever offered, kms-warden's own never.
  const deny = guardOf(signal.principal.arn, facts).deny.may;
  if (deny === 'never') return steps;
  for (const { keyArn, key } of facts.keysUsed ?? []) {
    const run: Run = key.mode === 'observe' || deny === 'approval' ? 'approval' : 'automatic';
    steps.push(
      denyStep(keyArn, signal.principal.arn, run, facts),
      revokeStep(keyArn, signal.principal.arn, facts, run),
    );
    if (signal.severity === 'high' || signal.severity === 'critical') {
      const disable = key.mode === 'lockdown' && !key.protected;
      steps.push({
        type: 'disable-key',
        params: { keyArn },
        run: disable ? 'automatic' : 'approval',
        why: disable
          ? 'lockdown: the key is disabled along with the credential that used it'
          : key.mode === 'lockdown'
            ? 'the key is protected: never disabled automatically'
            : 'disabling a key stops every workload that uses it: a person decides',
      });
    }
  }
  return steps;
};

/** Keys remembered per principal, the most recently used kept; pruned only past twice as many (amortized O(1)). */
const maxKeysUsed = 50;

/**
 * Records that a principal used a key; written at most once an hour per key, so busy principals cost no extra writes.
 */
const rememberKeyUsed = (memory: DetectionMemory, principalArn: string, keyArn: string, at: number) => {
  const seen = principalMemoryOf(memory, principalArn);
  const used = (seen.keysUsed ??= {});
  const last = used[keyArn];
  if (last !== undefined && hourOf(last) === hourOf(at)) return;
  if (last === undefined && Object.keys(used).length >= 2 * maxKeysUsed) {
    const recent = Object.entries(used).sort(([, a], [, b]) => b - a);
    for (const [stale] of recent.slice(maxKeysUsed - 1)) delete used[stale];
  }
  used[keyArn] = at;
  memory.putPrincipal(principalArn, seen);
};

export const guardDutyCredentialCompromise = findingDetection({
  id: 'guardduty-credential-compromise',
  family: 'credential-compromise',
  title: 'GuardDuty found a compromised IAM credential',
  severity: 'high',
  mitre: ['T1078.004'],
  stage: 'credential-use',
  needs: ['keysUsedBySuspect'],
  respond: (signal, facts) => containLeakedCredential(signal, facts),
  // Its response shuts a leaked credential out of the keys it used: every direct use of a key is remembered.
  learn: (event, memory, { at }) => {
    if (isKeyUse(event)) rememberKeyUsed(memory, principalKey(event.principal.arn), event.keyArn!, at);
  },
  input: 'guardduty-finding',
  detect: (finding, settings) => {
    const minimum =
      finding.type === rootCredentialUsage
        ? settings.thresholds.guardDutyRootCredentialSeverity
        : settings.thresholds.guardDutyMinimumSeverity;
    if (finding.sample || finding.severity < minimum) return null;
    const attackSequence = finding.type.startsWith('AttackSequence:IAM/');
    const credentialFinding =
      (finding.resourceType === 'AccessKey' &&
        (credentialFamilies.test(finding.type) || alsoCredential.test(finding.type))) ||
      (attackSequence && finding.resourceType === 'AttackSequence');
    if (!credentialFinding) return null;
    return {
      severity: severityOf(finding.severity),
      summary: `GuardDuty ${finding.type} (severity ${finding.severity}) for ${finding.principal.arn}${finding.accessKeyId ? ` with access key ${finding.accessKeyId}` : ''}`,
      evidence: {
        findingId: finding.id,
        findingType: finding.type,
        guardDutySeverity: finding.severity,
        accessKeyId: finding.accessKeyId,
        count: finding.count,
        eventFirstSeen: finding.eventFirstSeen,
        eventLastSeen: finding.eventLastSeen,
        updatedAt: finding.updatedAt,
      },
    };
  },
});
