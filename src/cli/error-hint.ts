/**
 * The fix for an error a command cannot recover from, said in the same line as the error: a missing setting names
 * the stack output that holds it; credentials, permissions and Regions say what to check. Undefined: no known fix.
 */

/** The settings the CLI reads from the environment and the deployed stack's output (serverless.yml) that holds each. */
const stackOutputOf: Record<string, string> = {
  INCIDENT_TABLE: 'IncidentsTableName',
  NOTIFICATION_TOPIC_ARN: 'NotificationTopicArn',
  DEAD_LETTER_QUEUE_URL: 'DeadLetterQueueUrl',
  APPROVALS_URL: 'ApprovalsUrl',
  REKEY_STATE_MACHINE_ARN: 'RekeyStateMachineArn',
};

const fromStack = (variable: string, output: string) =>
  `set it from the deployed stack: export ${variable}=$(aws cloudformation describe-stacks --stack-name kms-warden-STAGE ` +
  `--query "Stacks[0].Outputs[?OutputKey=='${output}'].OutputValue" --output text)`;

const settingHint = (variable: string): string => {
  const output = stackOutputOf[variable];
  if (output) return fromStack(variable, output);
  if (variable === 'AWS_REGION') return 'pass --region R, or give the profile one (aws configure set region R)';
  return `${variable}: see the README's Settings for what it takes`;
};

export const errorHint = (
  error: Error & { variable?: string; problems?: ReadonlyArray<{ variable: string }>; $metadata?: unknown },
): string | undefined => {
  if (error.name === 'ConfigError' && error.variable) {
    // Every setting at fault, each with its fix: one run tells all.
    return [...new Set((error.problems ?? [{ variable: error.variable }]).map((p) => settingHint(p.variable)))].join(
      '; ',
    );
  }
  if (error.name === 'CredentialsProviderError') {
    const profile = process.env.AWS_PROFILE;
    return profile
      ? `no credentials for profile ${profile}: check it exists and is signed in (aws configure list --profile ${profile}; aws sso login --profile ${profile})`
      : 'no AWS credentials: pass --profile NAME or set AWS_PROFILE (or AWS_ENDPOINT_URL for an emulator)';
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'RequestExpired'].includes(error.name))
    return 'the credentials have expired: refresh them (aws sso login, or new keys) and run again';
  if (['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidAccessKeyId'].includes(error.name))
    return 'the credentials are not valid for this account: check --profile';
  if (/AccessDenied|UnauthorizedOperation|AuthorizationError/.test(error.name))
    return 'the identity running the CLI lacks this permission (aws sts get-caller-identity says which identity it is)';
  if (error.name === 'ResourceNotFoundException' && /table/i.test(error.message))
    return 'check INCIDENT_TABLE and the Region (--region) the stack is deployed in';
  return undefined;
};
