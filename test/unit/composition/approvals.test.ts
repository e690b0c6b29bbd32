import { lambdaApprovalEndpoint } from '../../../src/composition/approvals';
import { loadConfig } from '../../../src/config';
import { ConfigError } from '../../../src/errors';

const environment = {
  INCIDENT_TABLE: 'kms-warden-prod-incidents',
  NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:kms-warden-prod',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/kms-warden-prod-dlq',
  APPROVAL_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kms-warden/prod/signing-AbCdEf',
  APPROVALS_URL: 'https://approvals.example.test/approvals/',
  ACCOUNT_ID: '123456789012',
};

describe("the approvals function's composition in Lambda", () => {
  it('refuses to start without the executor function: it never carries a decision out itself', () => {
    expect(() => lambdaApprovalEndpoint(loadConfig(environment))).toThrow(ConfigError);
    expect(() => lambdaApprovalEndpoint(loadConfig(environment))).toThrow(/DECISION_EXECUTOR_FUNCTION/);
  });

  it('starts with it', () => {
    const route = lambdaApprovalEndpoint(
      loadConfig({ ...environment, DECISION_EXECUTOR_FUNCTION: 'kms-warden-prod-executeDecision' }),
    );
    expect(route).toEqual(expect.any(Function));
  });
});
