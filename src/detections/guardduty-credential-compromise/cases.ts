import {
  attackSequence,
  guardduty,
  iamEvent,
  realRecords,
  withSeverity,
  withType,
  withoutSample,
  type InputCase,
} from '../../../test/support/cases/input';

/**
 * GuardDuty's finding that the root user's credentials were used, at its default Low severity (origin:
 * https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-iam.html, Policy:IAMUser/RootCredentialUsage;
 * Low is 1.0 to 3.9, https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-severity.html), derived
 * from the aws-samples access-key finding by its type, severity and the root user as the key's owner.
 */
const rootCredentialUsage = (severity: number) => {
  const finding: Record<string, unknown> = withSeverity(
    withType(withoutSample(iamEvent), 'Policy:IAMUser/RootCredentialUsage'),
    severity,
  );
  const resource = finding.resource as Record<string, unknown>;
  return {
    ...finding,
    resource: {
      ...resource,
      accessKeyDetails: {
        accessKeyId: 'ASIAROOTEXAMPLE',
        principalId: '111122223333',
        userType: 'Root',
        userName: 'Root',
      },
    },
  };
};

/**
 * Fixtures that must fire guardduty-credential-compromise and fixtures that must not
 * (test/unit/detections/cases.test.ts runs them).
 */
export const cases: { kind: 'input'; match: InputCase[]; noMatch: InputCase[] } = {
  kind: 'input',
  match: [
    {
      name: 'an AttackSequence:IAM finding (Panther, bare)',
      input: attackSequence,
      expect: { severity: 'critical', principal: { kind: 'iam-user', arn: 'arn:aws:iam::123456789012:user/john_doe' } },
    },
    {
      name: 'Recon:IAMUser/MaliciousIPCaller on an access key, sample flag removed (aws-samples)',
      input: withoutSample(iamEvent),
      expect: { severity: 'medium', evidence: { accessKeyId: 'GeneratedFindingAccessKeyId' } },
    },
    {
      name: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS, derived from the aws-samples finding',
      input: withSeverity(
        withType(withoutSample(iamEvent), 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'),
        8,
      ),
      expect: { severity: 'high' },
    },
    {
      name: 'the GetFindings (PascalCase) shape from the AWS CLI docs, renamed to a credential type',
      input: {
        ...(realRecords('awscli-guardduty-example.ndjson')[0] as object),
        Type: 'CredentialAccess:IAMUser/AnomalousBehavior',
      },
      expect: { principal: { kind: 'iam-user', arn: 'arn:aws:iam::111122223333:user/testuser' } },
    },
    {
      name: 'Policy:IAMUser/RootCredentialUsage at its default Low severity (2), under the usual minimum of 4',
      input: rootCredentialUsage(2),
      expect: { severity: 'medium', principal: { kind: 'root' } },
    },
  ],
  noMatch: [
    { name: 'a sample finding (aws-samples)', input: iamEvent },
    { name: 'a sample AttackSequence:S3 finding (Panther)', input: guardduty('panther-guardduty.ndjson', 1) },
    { name: 'a finding without a resource (Panther high severity)', input: guardduty('panther-guardduty.ndjson', 2) },
    {
      name: 'an EC2 finding in its EventBridge envelope (oluolus)',
      input: guardduty('oluolus-guardduty-eventbridge.ndjson', 0),
    },
    {
      name: 'an EC2 finding (aws-samples)',
      input: withoutSample(guardduty('aws-samples-guardduty-automated-response.ndjson', 0)),
    },
    { name: 'severity below 4', input: withSeverity(withoutSample(iamEvent), 3.9) },
    {
      name: 'another Policy:IAMUser finding at Low severity: only root credential use passes at its own threshold',
      input: withType(rootCredentialUsage(2), 'Policy:IAMUser/S3BlockPublicAccessDisabled'),
    },
    { name: 'RootCredentialUsage marked as a sample', input: { ...rootCredentialUsage(2), service: iamEvent.service } },
  ],
};
