import { IAMServiceException, LimitExceededException, UnmodifiableEntityException } from '@aws-sdk/client-iam';
import { KMSInternalException, KMSServiceException, MalformedPolicyDocumentException } from '@aws-sdk/client-kms';
import { applyPlan, type PlannedAction } from '../../../src/actions';
import type { ActionDeps } from '../../../src/actions/action';
import { kindOfError, remedyFor } from '../../../src/actions/error-kinds';
import { InlinePolicyLimitError, KeyPolicyBusyError } from '../../../src/errors';

const metadata = { $metadata: { httpStatusCode: 400 } };

/** A step whose only call fails as given: disable-key reads the key first, so the failure is its DescribeKey. */
const failingWith = (error: unknown): ActionDeps =>
  ({
    kms: { status: async () => Promise.reject(error) },
    iam: {},
    policyTexts: {},
    keyPolicyLock: {},
  }) as unknown as ActionDeps;
const disable: PlannedAction = {
  type: 'disable-key',
  params: { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/k' },
  run: 'automatic',
};

describe('what retrying an AWS error can do', () => {
  it.each([
    [
      'throttling',
      new KMSServiceException({ name: 'ThrottlingException', $fault: 'client', ...metadata, message: 'Rate exceeded' }),
      'transient',
    ],
    ['a KMS internal error', new KMSInternalException({ ...metadata, message: 'internal' }), 'transient'],
    [
      'any 5xx',
      Object.assign(new Error('Service Unavailable'), {
        name: 'Unknown',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
      }),
      'transient',
    ],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
    ['another function holding the key policy', new KeyPolicyBusyError('k'), 'transient'],
    [
      'an access denied',
      new KMSServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        ...metadata,
        message: 'no resource-based policy allows the kms:PutKeyPolicy action',
      }),
      'permanent',
    ],
    ['a protected role', new UnmodifiableEntityException({ ...metadata, message: 'protected role' }), 'permanent'],
    [
      "IAM's size limit",
      new LimitExceededException({ ...metadata, message: 'Maximum policy size of 10240 bytes exceeded for role x' }),
      'permanent',
    ],
    [
      'a refused key policy',
      new MalformedPolicyDocumentException({
        ...metadata,
        message: 'The new key policy will not allow you to update the key policy in the future.',
      }),
      'permanent',
    ],
    [
      'an unknown client error',
      new IAMServiceException({ name: 'SomethingNew', $fault: 'client', ...metadata, message: '?' }),
      'permanent',
    ],
    [
      'an IAM entity being changed by someone else',
      new IAMServiceException({
        name: 'EntityTemporarilyUnmodifiableException',
        $fault: 'client',
        ...metadata,
        message: 'try again',
      }),
      'transient',
    ],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'Role')"), 'defect'],
    ['a thrown string', 'boom', 'defect'],
  ])('%s is %s', (_what, error, kind) => {
    expect(kindOfError(error)).toBe(kind);
  });

  it('records a permanent refusal with what a person must do, and lets transient ones and defects fail for a retry', async () => {
    const [refused] = await applyPlan(
      [disable],
      failingWith(new UnmodifiableEntityException({ ...metadata, message: 'protected role' })),
      { resuming: false },
    );
    expect(refused).toEqual({
      outcome: 'needs-person',
      error: 'UnmodifiableEntityException',
      message: 'protected role',
      remedy: expect.stringContaining('IAM Identity Center'),
    });
    const [throttled] = await applyPlan(
      [disable],
      failingWith(
        new KMSServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          ...metadata,
          message: 'Rate exceeded',
        }),
      ),
      { resuming: false },
    );
    expect(throttled).toMatchObject({ outcome: 'failed', error: 'ThrottlingException' });
    const [bug] = await applyPlan([disable], failingWith(new TypeError('x is undefined')), { resuming: false });
    expect(bug).toMatchObject({ outcome: 'failed', error: 'TypeError' });
  });

  it("tells IAM's inline policy limit from a KMS limit", () => {
    expect(
      remedyFor(
        new InlinePolicyLimitError('user/eve', {
          cause: new LimitExceededException({
            ...metadata,
            message: 'Maximum policy size of 2048 bytes exceeded for user eve',
          }),
        }),
      ),
    ).toMatch(/inline policies are at IAM's size limit/);
    expect(
      remedyFor(
        new KMSServiceException({
          name: 'LimitExceededException',
          $fault: 'client',
          ...metadata,
          message: 'The key policy is 40000 bytes',
        }),
      ),
    ).toBe(
      'an AWS quota or size limit was reached (see the message; a key policy is at most 32 KB): make room by hand',
    );
  });

  it('tells a key policy that shuts kms-warden out from a role that lacks a permission', () => {
    expect(
      remedyFor(
        new KMSServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          ...metadata,
          message: '... because no resource-based policy allows the kms:PutKeyPolicy action',
        }),
      ),
    ).toMatch(/key's policy/);
    expect(
      remedyFor(
        new KMSServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          ...metadata,
          message: '... because no identity-based policy allows the kms:PutKeyPolicy action',
        }),
      ),
    ).toMatch(/role is not allowed/);
  });
});
