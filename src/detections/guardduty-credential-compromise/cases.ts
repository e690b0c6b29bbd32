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
  ],
};
