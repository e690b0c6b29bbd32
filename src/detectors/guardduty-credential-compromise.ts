import type { FindingDetector, Severity } from './detector';

/** Finding families that mean an IAM credential is in the wrong hands. Recon:IAMUser is the older name of Discovery. */
const credentialFamilies =
  /^(UnauthorizedAccess|CredentialAccess|Impact|Exfiltration|Persistence|PrivilegeEscalation|DefenseEvasion|Discovery|InitialAccess|Stealth|Recon):IAMUser\//;
const alsoCredential = /^(AttackSequence:IAM\/|Policy:IAMUser\/RootCredentialUsage)/;

const severityOf = (score: number): Severity => (score >= 9 ? 'critical' : score >= 7 ? 'high' : 'medium');

export const guardDutyCredentialCompromise: FindingDetector = {
  id: 'guardduty-credential-compromise',
  family: 'credential-compromise',
  title: 'GuardDuty found a compromised IAM credential',
  severity: 'high',
  mitre: ['T1078.004'],
  input: 'guardduty-finding',
  detect: (finding, settings) => {
    if (finding.sample || finding.severity < settings.thresholds.guardDutyMinimumSeverity) return null;
    const attackSequence = finding.type.startsWith('AttackSequence:IAM/');
    const credentialFinding =
      (finding.resourceType === 'AccessKey' && (credentialFamilies.test(finding.type) || alsoCredential.test(finding.type))) ||
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
};
