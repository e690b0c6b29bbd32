import validator from 'asl-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ExecutionFailedError,
  LocalTaskTokens,
  runStateMachine,
  type StateMachineDefinition,
} from '../../../src/local/asl-interpreter';

const task = (step: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f',
  Parameters: { step, 'value.$': '$.value' },
  ...extra,
});

describe('the local ASL interpreter', () => {
  it('passes data through Parameters, ResultPath and Choice like Step Functions', async () => {
    const definition: StateMachineDefinition = {
      StartAt: 'Double',
      States: {
        Double: task('double', { ResultPath: '$.doubled', Next: 'Big' }),
        Big: {
          Type: 'Choice',
          Choices: [{ Variable: '$.doubled', NumericGreaterThan: 10, Next: 'Yes' }],
          Default: 'No',
        },
        Yes: { Type: 'Pass', Result: 'big', ResultPath: '$.verdict', End: true },
        No: { Type: 'Pass', Result: 'small', ResultPath: '$.verdict', End: true },
      },
    };
    const invokeTask = async (_resource: unknown, input: unknown) => (input as { value: number }).value * 2;
    expect(await runStateMachine(definition, { value: 7 }, { invokeTask })).toEqual({
      value: 7,
      doubled: 14,
      verdict: 'big',
    });
    expect(await runStateMachine(definition, { value: 2 }, { invokeTask })).toEqual({
      value: 2,
      doubled: 4,
      verdict: 'small',
    });
  });

  it('runs a Map item by item with the context item, never more at once than MaxConcurrency', async () => {
    let running = 0;
    let most = 0;
    const definition: StateMachineDefinition = {
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          MaxConcurrency: 2,
          ItemSelector: { 'item.$': '$$.Map.Item.Value', 'factor.$': '$.factor' },
          ItemProcessor: { StartAt: 'One', States: { One: { Type: 'Task', Resource: 'x', End: true } } },
          ResultPath: '$.results',
          End: true,
        },
      },
    };
    const invokeTask = async (_resource: unknown, input: unknown) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      const { item, factor } = input as { item: number; factor: number };
      return item * factor;
    };
    expect(await runStateMachine(definition, { items: [1, 2, 3, 4, 5], factor: 10 }, { invokeTask })).toEqual({
      items: [1, 2, 3, 4, 5],
      factor: 10,
      results: [10, 20, 30, 40, 50],
    });
    expect(most).toBe(2);
  });

  it('retries a failing task as its Retry says, then catches what is left into the Catch path', async () => {
    const calls: string[] = [];
    const definition: StateMachineDefinition = {
      StartAt: 'Flaky',
      States: {
        Flaky: task('flaky', {
          Retry: [{ ErrorEquals: ['ThrottlingException'], IntervalSeconds: 1, MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recover' }],
          End: true,
        }),
        Recover: { Type: 'Pass', End: true },
      },
    };
    const invokeTask = async () => {
      calls.push('call');
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    };
    const output = await runStateMachine(definition, { value: 1 }, { invokeTask, timeScale: 0 });
    expect(calls).toHaveLength(3);
    expect(output).toEqual({ value: 1, error: { Error: 'ThrottlingException', Cause: 'Rate exceeded' } });
  });

  it('fails with the Fail state error, and stops a loop that never ends', async () => {
    const failing: StateMachineDefinition = {
      StartAt: 'Stop',
      States: { Stop: { Type: 'Fail', Error: 'RekeyFailed', Cause: 'because' } },
    };
    await expect(runStateMachine(failing, {}, { invokeTask: async () => ({}) })).rejects.toEqual(
      new ExecutionFailedError('RekeyFailed', 'because'),
    );
    const looping: StateMachineDefinition = {
      StartAt: 'Again',
      States: { Again: { Type: 'Wait', Seconds: 900, Next: 'Again' } },
    };
    await expect(
      runStateMachine(looping, {}, { invokeTask: async () => ({}), timeScale: 0, maxTransitions: 50 }),
    ).rejects.toThrow('more than 50 transitions');
  });

  it('refuses a state type it does not implement before running anything', async () => {
    const parallel = {
      StartAt: 'Both',
      States: { Both: { Type: 'Parallel', Branches: [], End: true } },
    } as StateMachineDefinition;
    let called = false;
    await expect(runStateMachine(parallel, {}, { invokeTask: async () => (called = true) })).rejects.toThrow(
      'state type Parallel is not supported locally',
    );
    expect(called).toBe(false);
  });
});

describe('the re-key workflow definition', () => {
  const text = readFileSync(join(__dirname, '../../../src/rekey/rekey-workflow.asl.json'), 'utf8');
  // In the stack, the plugin replaces the Fn::GetAtt with the step function's ARN; the validator wants an ARN.
  const deployed = JSON.parse(
    text.replaceAll(
      '{ "Fn::GetAtt": ["rekeyStep", "Arn"] }',
      '"arn:aws:lambda:us-east-1:123456789012:function:kms-warden-test-rekeyStep"',
    ),
  );

  it('is valid Amazon States Language', () => {
    const result = validator(deployed);
    expect(result.errorsText()).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('uses only what the local interpreter runs, so tests run the definition Step Functions runs', async () => {
    // No step answers: the run goes from Begin straight to the failure path, through the interpreter.
    const entered: string[] = [];
    const invokeTask = async (_resource: unknown, input: unknown) => {
      if ((input as { step: string }).step === 'record-failure') return {};
      throw new Error('no steps here');
    };
    await expect(
      runStateMachine(deployed, { run: {} }, { invokeTask, timeScale: 0, onState: (name) => entered.push(name) }),
    ).rejects.toThrow('RekeyFailed');
    expect(entered).toEqual(['Begin', 'RecordFailure', 'Failed']);
  });
});

describe('the local ASL interpreter, where Step Functions is strict', () => {
  it('refuses state data over 256 KB with an error no Catch of States.ALL takes', async () => {
    const definition: StateMachineDefinition = {
      StartAt: 'Big',
      States: {
        Big: { Type: 'Task', Resource: 'x', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }], End: true },
        Caught: { Type: 'Succeed' },
      },
    };
    await expect(
      runStateMachine(definition, {}, { invokeTask: async () => 'x'.repeat(300_000) }),
    ).rejects.toMatchObject({ error: 'States.DataLimitExceeded' });
  });

  it('makes a Choice on a path that is not there a runtime error, not a false', async () => {
    const definition: StateMachineDefinition = {
      StartAt: 'Pick',
      States: {
        Pick: {
          Type: 'Choice',
          Choices: [{ Variable: '$.missing', BooleanEquals: true, Next: 'Done' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };
    await expect(runStateMachine(definition, {}, { invokeTask: async () => ({}) })).rejects.toMatchObject({
      error: 'States.Runtime',
    });
  });

  describe('the callback pattern (.waitForTaskToken)', () => {
    /** A wait for a person: the function records the token it is given; the task ends when a token is sent. */
    const waiting = (timeout: Record<string, unknown>): StateMachineDefinition => ({
      StartAt: 'Wait',
      States: {
        Wait: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'arn:f', Payload: { step: 'await', 'token.$': '$$.Task.Token' } },
          ...timeout,
          ResultPath: '$.resumedBy',
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timedOut', Next: 'TimedOut' }],
          End: true,
        },
        TimedOut: { Type: 'Pass', Result: 'timed out', ResultPath: '$.verdict', End: true },
      },
    });

    it('hands the function its token and resumes with what SendTaskSuccess sent, once', async () => {
      const tokens = new LocalTaskTokens();
      const given: string[] = [];
      const invokeTask = async (resource: unknown, input: unknown) => {
        expect(resource).toBe('arn:f');
        given.push((input as { token: string }).token);
        return 'ignored: the result is what the token brings';
      };
      const run = runStateMachine(waiting({ TimeoutSecondsPath: '$.wait' }), { wait: 3600 }, { invokeTask, tokens });
      while (given.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      tokens.sendTaskSuccess(given[0]!, JSON.stringify({ by: 'bob' }));
      expect(await run).toEqual({ wait: 3600, resumedBy: { by: 'bob' } });
      // As in AWS: a token whose task is closed, and a token that is none, are refused.
      expect(() => tokens.sendTaskSuccess(given[0]!, '{}')).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
      expect(() => tokens.sendTaskSuccess('forged', '{}')).toThrow(expect.objectContaining({ name: 'InvalidToken' }));
    });

    it('times out with States.Timeout, which a Catch takes, and closes the token', async () => {
      const tokens = new LocalTaskTokens();
      let token = '';
      const output = await runStateMachine(
        waiting({ TimeoutSeconds: 5 }),
        {},
        { invokeTask: async (_r, input) => void (token = (input as { token: string }).token), tokens, timeScale: 0 },
      );
      expect(output).toEqual({
        verdict: 'timed out',
        timedOut: { Error: 'States.Timeout', Cause: expect.any(String) },
      });
      expect(() => tokens.sendTaskSuccess(token, '{}')).toThrow(expect.objectContaining({ name: 'TaskTimedOut' }));
    });

    it('refuses a timeout that is not a positive integer, and a callback task without tokens', async () => {
      const tokens = new LocalTaskTokens();
      await expect(
        runStateMachine(
          waiting({ TimeoutSecondsPath: '$.wait' }),
          { wait: 0 },
          { invokeTask: async () => ({}), tokens },
        ),
      ).rejects.toMatchObject({ error: 'States.Runtime' });
      await expect(runStateMachine(waiting({}), {}, { invokeTask: async () => ({}) })).rejects.toMatchObject({
        error: 'States.Runtime',
      });
    });
  });
});
