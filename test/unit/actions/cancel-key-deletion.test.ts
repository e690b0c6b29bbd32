import { IAMClient } from '@aws-sdk/client-iam';
import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  KMSClient,
  type KeyState,
  KMSInvalidStateException,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { cancelKeyDeletion } from '../../../src/actions/cancel-key-deletion';
import { applyPlan } from '../../../src/actions';
import { IamPrincipals } from '../../../src/aws/iam-principals';
import { KmsKeys } from '../../../src/aws/kms-keys';
import { KeyNotFoundError, KeyStateConflictError } from '../../../src/errors';
import { InMemoryPolicyTexts, InProcessKeyPolicyLock } from '../../../src/state/policy-texts';

const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
const deletionDate = new Date('2026-12-05T10:00:00.000Z');

const kms = mockClient(KMSClient);
const regions: string[] = [];
const deps = {
  kms: new KmsKeys((region) => {
    regions.push(region);
    return new KMSClient({ region });
  }),
  iam: new IamPrincipals(new IAMClient({ region: 'us-east-1' })),
  policyTexts: new InMemoryPolicyTexts(),
  keyPolicyLock: new InProcessKeyPolicyLock(),
};
const first = { resuming: false };

const states = (...keyStates: KeyState[]) => {
  const describe = kms.on(DescribeKeyCommand);
  for (const KeyState of keyStates) {
    describe.resolvesOnce({
      KeyMetadata: {
        KeyId: keyId,
        KeyState,
        ...(KeyState === 'PendingDeletion' ? { DeletionDate: deletionDate } : {}),
      },
    });
  }
};

beforeEach(() => {
  kms.reset();
  regions.length = 0;
});

describe('cancel-key-deletion', () => {
  it('cancels the deletion and enables a key that was Enabled before', async () => {
    // Prepare
    states('PendingDeletion', 'Enabled');
    // Act
    const result = await cancelKeyDeletion.apply({ keyArn, restoreState: 'Enabled' }, deps, first);
    // Assess
    expect(result).toEqual({
      outcome: 'applied',
      before: { state: 'PendingDeletion', deletionDate: '2026-12-05T10:00:00.000Z' },
      after: { state: 'Enabled', deletionDate: undefined },
    });
    expect(kms).toHaveReceivedCommandWith(CancelKeyDeletionCommand, { KeyId: keyId });
    expect(kms).toHaveReceivedCommandWith(EnableKeyCommand, { KeyId: keyId });
    expect(regions.every((region) => region === 'eu-west-1')).toBe(true);
  });

  it('leaves a key that was Disabled before Disabled', async () => {
    states('PendingDeletion', 'Disabled');
    const result = await cancelKeyDeletion.apply({ keyArn, restoreState: 'Disabled' }, deps, first);
    expect(result).toMatchObject({ outcome: 'applied', after: { state: 'Disabled' } });
    expect(kms).toHaveReceivedCommandTimes(CancelKeyDeletionCommand, 1);
    expect(kms).not.toHaveReceivedCommand(EnableKeyCommand);
  });

  it('changes nothing when the key is no longer pending deletion', async () => {
    states('Enabled');
    const result = await cancelKeyDeletion.apply({ keyArn, restoreState: 'Enabled' }, deps, first);
    expect(result).toEqual({
      outcome: 'skipped',
      reason: 'key is Enabled',
      before: { state: 'Enabled', deletionDate: undefined },
    });
    expect(kms).not.toHaveReceivedCommand(CancelKeyDeletionCommand);
    expect(kms).not.toHaveReceivedCommand(EnableKeyCommand);
  });

  it('does not enable a Disabled key on a first attempt', async () => {
    states('Disabled');
    const result = await cancelKeyDeletion.apply({ keyArn, restoreState: 'Enabled' }, deps, first);
    expect(result).toMatchObject({ outcome: 'skipped', reason: 'key is Disabled' });
    expect(kms).not.toHaveReceivedCommand(EnableKeyCommand);
  });

  it('finishes the EnableKey an interrupted attempt did not reach', async () => {
    states('Disabled', 'Enabled');
    const result = await cancelKeyDeletion.apply({ keyArn, restoreState: 'Enabled' }, deps, { resuming: true });
    expect(result).toMatchObject({ outcome: 'applied', before: { state: 'Disabled' }, after: { state: 'Enabled' } });
    expect(kms).not.toHaveReceivedCommand(CancelKeyDeletionCommand);
    expect(kms).toHaveReceivedCommandTimes(EnableKeyCommand, 1);
  });

  it('undoes only what it did: disables a key it enabled', async () => {
    await cancelKeyDeletion.undo({ keyArn, restoreState: 'Enabled' }, deps, {
      outcome: 'applied',
      before: { state: 'PendingDeletion' },
      after: { state: 'Enabled' },
    });
    expect(kms).toHaveReceivedCommandWith(DisableKeyCommand, { KeyId: keyId });
  });

  it.each([
    [
      'a skipped result',
      { keyArn, restoreState: 'Enabled' as const },
      { outcome: 'skipped' as const, reason: 'key is Enabled' },
    ],
    [
      'a key left Disabled',
      { keyArn, restoreState: 'Disabled' as const },
      { outcome: 'applied' as const, before: {}, after: {} },
    ],
  ])('has nothing to undo after %s', async (_name, params, result) => {
    await cancelKeyDeletion.undo(params, deps, result);
    expect(kms).not.toHaveReceivedCommand(DisableKeyCommand);
  });
});

describe('the KMS adapter', () => {
  it('names a missing key', async () => {
    kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: 'not found', $metadata: {} }));
    await expect(deps.kms.status(keyArn)).rejects.toThrow(KeyNotFoundError);
  });

  it('names a call refused because of the key state', async () => {
    kms.on(CancelKeyDeletionCommand).rejects(new KMSInvalidStateException({ message: 'invalid state', $metadata: {} }));
    const error = await deps.kms.cancelKeyDeletion(keyArn).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeyStateConflictError);
    expect((error as Error).cause).toBeInstanceOf(KMSInvalidStateException);
  });

  it('rethrows errors it does not understand unchanged', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    kms.on(EnableKeyCommand).rejects(throttled);
    await expect(deps.kms.enableKey(keyArn)).rejects.toBe(throttled);
  });

  it('refuses something that is not a key ARN before calling KMS', async () => {
    await expect(deps.kms.status('alias/payments')).rejects.toThrow(KeyNotFoundError);
    expect(kms.calls()).toHaveLength(0);
  });
});

describe('applying a plan', () => {
  it('records a failed step and still runs the rest', async () => {
    const otherKey = keyArn.replace(keyId, 'ffffffff-12ab-34cd-56ef-1234567890ab');
    kms
      .on(DescribeKeyCommand, { KeyId: keyId })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    kms
      .on(DescribeKeyCommand, { KeyId: 'ffffffff-12ab-34cd-56ef-1234567890ab' })
      .resolves({ KeyMetadata: { KeyId: 'x', KeyState: 'Enabled' } });
    const results = await applyPlan(
      [
        { type: 'cancel-key-deletion', params: { keyArn, restoreState: 'Enabled' }, run: 'automatic' },
        { type: 'cancel-key-deletion', params: { keyArn: otherKey, restoreState: 'Enabled' }, run: 'automatic' },
      ],
      deps,
      first,
    );
    expect(results).toEqual([
      { outcome: 'failed', error: 'ThrottlingException', message: 'Rate exceeded' },
      { outcome: 'skipped', reason: 'key is Enabled', before: { state: 'Enabled', deletionDate: undefined } },
    ]);
  });

  it('skips, rather than fails, a step on a key that does not exist: a retry cannot bring it back', async () => {
    kms.on(DescribeKeyCommand).rejects(new NotFoundException({ message: 'gone', $metadata: {} }));
    expect(
      await applyPlan(
        [{ type: 'cancel-key-deletion', params: { keyArn, restoreState: 'Enabled' }, run: 'automatic' }],
        deps,
        first,
      ),
    ).toEqual([{ outcome: 'skipped', reason: `KMS key not found: ${keyArn}` }]);
  });

  it('runs only automatic steps, and none in a dry run', async () => {
    const step = { type: 'cancel-key-deletion' as const, params: { keyArn, restoreState: 'Enabled' as const } };
    expect(await applyPlan([{ ...step, run: 'approval', why: 'a person decides' }], deps, first)).toEqual([
      { outcome: 'not-run', reason: 'a person decides' },
    ]);
    expect(await applyPlan([{ ...step, run: 'automatic' }], deps, { ...first, dryRun: true })).toEqual([
      { outcome: 'not-run', reason: 'dry run: planned, not applied' },
    ]);
    expect(kms.calls()).toHaveLength(0);
  });
});
