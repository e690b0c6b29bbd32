import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MalformedRekeyStepInputError, rekeyWorkflowErrors } from '../../../src/errors';
import { runRekeyStep } from '../../../src/rekey/steps';
import type { RekeyDeps } from '../../../src/rekey/step';
import { keySnapshotOf } from '../../support/incidents';

type State = {
  Retry?: Array<{ ErrorEquals: string[] }>;
  Catch?: Array<{ ErrorEquals: string[] }>;
  Branches?: Array<{ States: Record<string, State> }>;
  ItemProcessor?: { States: Record<string, State> };
};

const definition = JSON.parse(readFileSync(join(__dirname, '../../../src/rekey/rekey-workflow.asl.json'), 'utf8')) as {
  States: Record<string, State>;
};

const errorNames = (states: Record<string, State>): string[] =>
  Object.values(states).flatMap((state) => [
    ...[...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((rule) => rule.ErrorEquals),
    ...(state.Branches ?? []).flatMap((branch) => errorNames(branch.States)),
    ...(state.ItemProcessor ? errorNames(state.ItemProcessor.States) : []),
  ]);

const named = new Set(errorNames(definition.States).filter((name) => !name.startsWith('States.')));
const classNames: string[] = rekeyWorkflowErrors.map((ErrorClass) => new ErrorClass('x', [] as never).name);

describe('the errors the re-key workflow acts on by name', () => {
  it('names in ErrorEquals only errors the steps throw as named classes', () => {
    expect([...named].filter((name) => !classNames.includes(name))).toEqual([]);
  });

  it('names every one of those classes, so none is retried in vain or caught by accident', () => {
    expect(classNames.filter((name) => !named.has(name))).toEqual([]);
  });

  it('gives each class the name the definition expects, and keeps a cause', () => {
    const cause = new Error('underneath');
    for (const ErrorClass of rekeyWorkflowErrors) {
      const error = new ErrorClass('arn:aws:kms:us-east-1:111122223333:key/1', [] as never, { cause });
      expect(error).toBeInstanceOf(Error);
      expect(error.cause).toBe(cause);
      expect(error.name).toBe(ErrorClass.name.replace(/Error$/, ''));
    }
  });
});

describe('re-key step inputs, parsed where the state machine hands them over', () => {
  const deps = {} as RekeyDeps;
  const run = {
    incidentId: 'kw-1',
    keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1',
    pendingWindowDays: 30,
    startedBy: 'alice',
  };

  it.each([
    ['an unknown step', { step: 'teleport', run }, 'no re-key step named "teleport"'],
    ['a run without its key', { step: 'begin', run: { ...run, keyArn: undefined } }, 'run.keyArn'],
    [
      'a waiting period KMS refuses',
      { step: 'begin', run: { ...run, pendingWindowDays: 3 } },
      "run.pendingWindowDays: 7 to 30 (KMS's limits)",
    ],
    ['a step without the snapshot it needs', { step: 'create-replacement', run }, 'snapshot'],
    [
      'a replacement that is not a key ARN',
      { step: 'request-deletion-approval', run, replacement: { keyArn: 'key-1' } },
      'replacement.keyArn',
    ],
  ])('refuses %s with a named error, before the step runs', async (_name, input, problem) => {
    const refused = runRekeyStep(input as { step: string }, deps);
    await expect(refused).rejects.toBeInstanceOf(MalformedRekeyStepInputError);
    await expect(refused).rejects.toMatchObject({
      name: 'MalformedRekeyStepInput',
      message: expect.stringContaining(problem),
    });
  });

  it('refuses a snapshot or a replacement other than the ones the incident records (a forged invocation)', async () => {
    const recorded = keySnapshotOf(run.keyArn, { description: 'payments' });
    const incidents = {
      head: async () => ({
        rekey: { snapshot: recorded, replacementKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/2' },
      }),
    };
    const withRecords = { incidents } as unknown as RekeyDeps;
    const forged = {
      ...recorded,
      replicas: [
        {
          keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/mrk-x',
          region: 'eu-west-1',
          description: '',
          tags: {},
          aliases: [],
        },
      ],
    };
    for (const input of [
      {
        step: 'move-aliases',
        run,
        snapshot: forged,
        replacement: { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/2' },
      },
      {
        step: 'move-aliases',
        run,
        snapshot: recorded,
        replacement: { keyArn: 'arn:aws:kms:us-east-1:111122223333:key/666' },
      },
    ])
      await expect(runRekeyStep(input, withRecords)).rejects.toMatchObject({
        name: 'MalformedRekeyStepInput',
        message: expect.stringContaining('not the one the incident records'),
      });
  });
});
