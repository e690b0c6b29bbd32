import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyInput, type InputEvent } from '../../../src/events/input';
import { realRecords } from '../../support/records';

export interface InputCase {
  name: string;
  input: unknown;
  expect?: Record<string, unknown>;
}

const guardduty = (file: string, index: number) => realRecords(file)[index] as Record<string, unknown>;
const withoutSample = (finding: Record<string, unknown>) => {
  const service = finding.service as Record<string, unknown>;
  return { ...finding, service: { ...service, additionalInfo: {} } };
};
const withType = (finding: Record<string, unknown>, type: string) => ({ ...finding, type });
const withSeverity = (finding: Record<string, unknown>, severity: number) => ({ ...finding, severity });

const iamEvent = guardduty('aws-samples-guardduty-automated-response.ndjson', 1);
const attackSequence = guardduty('panther-guardduty.ndjson', 0);
const configChange = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'config', 'ComplianceChange.rotation-noncompliant.json'), 'utf8'));

export const inputCases: Record<string, { match: InputCase[]; noMatch: InputCase[] }> = {
  'guardduty-credential-compromise': {
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
        input: withSeverity(withType(withoutSample(iamEvent), 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS'), 8),
        expect: { severity: 'high' },
      },
      {
        name: 'the GetFindings (PascalCase) shape from the AWS CLI docs, renamed to a credential type',
        input: { ...(realRecords('awscli-guardduty-example.ndjson')[0] as object), Type: 'CredentialAccess:IAMUser/AnomalousBehavior' },
        expect: { principal: { kind: 'iam-user', arn: 'arn:aws:iam::111122223333:user/testuser' } },
      },
    ],
    noMatch: [
      { name: 'a sample finding (aws-samples)', input: iamEvent },
      { name: 'a sample AttackSequence:S3 finding (Panther)', input: guardduty('panther-guardduty.ndjson', 1) },
      { name: 'a finding without a resource (Panther high severity)', input: guardduty('panther-guardduty.ndjson', 2) },
      { name: 'an EC2 finding in its EventBridge envelope (oluolus)', input: guardduty('oluolus-guardduty-eventbridge.ndjson', 0) },
      { name: 'an EC2 finding (aws-samples)', input: withoutSample(guardduty('aws-samples-guardduty-automated-response.ndjson', 0)) },
      { name: 'severity below 4', input: withSeverity(withoutSample(iamEvent), 3.9) },
    ],
  },
  'rotation-noncompliant': {
    match: [{ name: 'NON_COMPLIANT for the rotation rule', input: configChange, expect: { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab' } }],
    noMatch: [
      {
        name: 'back to COMPLIANT',
        input: { ...configChange, detail: { ...configChange.detail, newEvaluationResult: { ...configChange.detail.newEvaluationResult, complianceType: 'COMPLIANT' } } },
      },
      { name: 'another rule', input: { ...configChange, detail: { ...configChange.detail, configRuleName: 'kms-cmk-not-scheduled-for-deletion' } } },
    ],
  },
};

export const classified = (input: unknown): InputEvent => {
  const result = classifyInput(input);
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.event;
};
