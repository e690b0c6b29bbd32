import {
  InlinePolicyLimitError,
  KeyNotFoundError,
  KeyPolicyBusyError,
  KeyStateConflictError,
  MemberRoleRefusedError,
  NotAnOrganizationAccountError,
  PrincipalNotFoundError,
} from '../errors';

/**
 * What retrying an AWS error can do:
 * - transient: the SDK already retried it with backoff (throttling, 5xx, a dropped connection); a later attempt may
 *   pass, so the step fails and Lambda retries the event.
 * - permanent: AWS refused it for a reason that stays (permissions, a protected role, a policy or size limit, an
 *   operation the key does not support); retrying cannot help, so the step records what a person must do.
 * - defect: not an answer from AWS at all (a bug in kms-warden): the step fails, and after Lambda's retries the event
 *   goes to the dead-letter queue with the error.
 */
export type ErrorKind = 'transient' | 'permanent' | 'defect';

/** Client errors the SDK's standard retry strategy treats as throttling or transient, and a few it misses. */
const transientCodes = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'RequestTimeout',
  'RequestTimeoutException',
  'PriorRequestNotComplete',
  'ConcurrentModificationException',
  'ConcurrentModification',
  'KMSInternalException',
  'DependencyTimeoutException',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  // IAM: "the request is likely to succeed if you try again after waiting several minutes".
  'EntityTemporarilyUnmodifiableException',
  'EntityTemporarilyUnmodifiable',
]);

type AwsLike = Error & {
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  code?: string;
  Code?: string;
};

export const kindOfError = (error: unknown): ErrorKind => {
  if (error instanceof KeyPolicyBusyError) return 'transient';
  if (
    error instanceof KeyNotFoundError ||
    error instanceof PrincipalNotFoundError ||
    error instanceof KeyStateConflictError ||
    error instanceof InlinePolicyLimitError ||
    error instanceof MemberRoleRefusedError ||
    error instanceof NotAnOrganizationAccountError
  )
    return 'permanent';
  if (!(error instanceof Error)) return 'defect';
  const aws = error as AwsLike;
  const code = aws.name;
  if (transientCodes.has(code) || (aws.code && transientCodes.has(aws.code))) return 'transient';
  if (aws.$fault === 'server' || (aws.$metadata?.httpStatusCode ?? 0) >= 500) return 'transient';
  if (aws.$fault === 'client' || aws.$metadata !== undefined) return 'permanent';
  return 'defect';
};

/**
 * What a person can do about a permanent refusal, by its code, when the action has nothing more precise to say.
 * The texts name the fix, not the symptom.
 */
export const remedyFor = (error: Error): string => {
  // The IAM adapter names IAM's inline policy limit itself; every other limit (KMS's, IAM's quotas) says which in its
  // message.
  if (error instanceof InlinePolicyLimitError)
    return "the principal's inline policies are at IAM's size limit: remove one, or attach the AWS managed policy AWSDenyAll by hand";
  // Its message says what to deploy or activate in which account.
  if (error instanceof MemberRoleRefusedError || error instanceof NotAnOrganizationAccountError) return error.message;
  const code = error.name.replace(/Exception$/, '');
  if (/^(AccessDenied|UnauthorizedOperation|AuthorizationError)$/.test(code)) {
    return error.message.includes('resource-based policy')
      ? 'the key\'s policy does not let kms-warden\'s role do this: add the role to the key policy (README, "Key policies that shut kms-warden out"), or do it by hand'
      : "kms-warden's role is not allowed to do this: check the role's policy in the deployed stack against the README, or do it by hand";
  }
  if (code === 'UnmodifiableEntity')
    return "the role is managed by AWS (IAM Identity Center or an AWS service) and cannot be changed: contain it through the key policy, and end the person's sessions where the role comes from (IAM Identity Center: Users, Active sessions)";
  if (code === 'LimitExceeded')
    return 'an AWS quota or size limit was reached (see the message; a key policy is at most 32 KB): make room by hand';
  if (code === 'MalformedPolicyDocument')
    return 'KMS refused the changed key policy (see the message): change the key policy by hand';
  if (code === 'UnsupportedOperation')
    return 'KMS does not support this for this kind of key (see the message): nothing to retry';
  if (error instanceof KeyStateConflictError)
    return "the key's state does not allow this now (see the message): check the key's state and decide";
  return 'AWS refused this for a reason retrying cannot change (see the message): do it by hand or decide to leave it';
};
