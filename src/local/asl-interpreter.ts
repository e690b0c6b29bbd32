import { randomUUID } from 'node:crypto';

/**
 * A small interpreter for the Amazon States Language subset kms-warden's workflows use: Task, Map (inline), Choice,
 * Wait, Pass, Succeed and Fail; InputPath, Parameters / ItemSelector, ResultSelector, ResultPath and OutputPath;
 * Retry and Catch; TimeoutSeconds(Path) on a Task (States.Timeout); the Lambda integration
 * (arn:aws:states:::lambda:invoke) with its callback pattern (.waitForTaskToken, $$.Task.Token, SendTaskSuccess
 * through LocalTaskTokens). Tests and `npm start` run the very definition Step Functions runs, with Task states calling
 * the step handlers in process. Semantics follow https://states-language.net/spec.html and
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token; anything outside
 * the subset is refused when the run starts, never half-run.
 */

type Json = unknown;
type StateDef = Record<string, Json> & { Type: string };
export interface StateMachineDefinition {
  StartAt: string;
  States: Record<string, StateDef>;
}

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
}
interface Catcher {
  ErrorEquals: string[];
  Next: string;
  ResultPath?: string | null;
}

export interface InterpreterOptions {
  /** Runs a Task: its Resource as written in the definition, and its effective input. */
  invokeTask: (resource: Json, input: Json) => Promise<Json>;
  /** Multiplies every Wait and retry interval: 1 for real time, 0 for tests. */
  timeScale?: number;
  /** Stops a run that loops without end (a Wait loop whose condition never comes). */
  maxTransitions?: number;
  /** Told of every state entered, for progress and tests. */
  onState?: (name: string, input: Json) => void;
  /** Where a .waitForTaskToken task waits for its token: required by a definition that has one. */
  tokens?: LocalTaskTokens;
  /** Multiplies Task timeouts (TimeoutSeconds): timeScale unless given, so a test can wait for a person at speed. */
  timeoutScale?: number;
}

/** An error as Step Functions' API returns it for SendTaskSuccess and SendTaskFailure. */
export class TaskTokenError extends Error {
  constructor(
    override readonly name: 'TaskTimedOut' | 'InvalidToken',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Task tokens of the callback pattern, in process: a task waiting on one resumes when sendTaskSuccess (or
 * sendTaskFailure) names it. As in Step Functions, a token that is not one refuses with InvalidToken and the token of
 * a task already closed (resumed, timed out, or its execution over) with TaskTimedOut.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
 */
export class LocalTaskTokens {
  private readonly open = new Map<string, { resolve: (output: Json) => void; reject: (error: Error) => void }>();
  private readonly closed = new Set<string>();

  /** A new token, and the task's result once one is sent for it. */
  issue(): { token: string; result: Promise<Json> } {
    const token = `local-task-token-${randomUUID()}`;
    const result = new Promise<Json>((resolve, reject) => this.open.set(token, { resolve, reject }));
    return { token, result };
  }

  /** Closes a token no one may send for any more (its task timed out or failed). */
  close(token: string): void {
    this.open.delete(token);
    this.closed.add(token);
  }

  private take(token: string) {
    const waiting = this.open.get(token);
    if (waiting) {
      this.close(token);
      return waiting;
    }
    if (this.closed.has(token)) throw new TaskTokenError('TaskTimedOut', 'the task of this token is already closed');
    throw new TaskTokenError('InvalidToken', 'not a task token of this state machine');
  }

  /** SendTaskSuccess: `output` is the JSON text the task's result is parsed from (256 KB at most). */
  sendTaskSuccess(token: string, output: string): void {
    const value = JSON.parse(output) as Json;
    withinPayloadLimit(value, 'SendTaskSuccess output');
    this.take(token).resolve(value);
  }

  sendTaskFailure(token: string, error: string, cause: string): void {
    this.take(token).reject(new ExecutionFailedError(error, cause));
  }
}

/** A Fail state reached, or an error no Catch handled. */
export class ExecutionFailedError extends Error {
  constructor(
    readonly error: string,
    readonly cause_: string,
  ) {
    super(`${error}: ${cause_}`);
    this.name = 'ExecutionFailedError';
  }
}

const supported = new Set(['Task', 'Map', 'Choice', 'Wait', 'Pass', 'Succeed', 'Fail']);

/** Refuses a definition using what this interpreter does not implement, before anything runs. */
export const checkSupported = (definition: StateMachineDefinition, where = 'States'): void => {
  for (const [name, state] of Object.entries(definition.States)) {
    if (!supported.has(state.Type))
      throw new Error(`${where}.${name}: state type ${state.Type} is not supported locally`);
    if (state.Type === 'Map') {
      const processor = (state.ItemProcessor ?? state.Iterator) as StateMachineDefinition | undefined;
      if (!processor) throw new Error(`${where}.${name}: a Map needs an ItemProcessor`);
      checkSupported(processor, `${where}.${name}.ItemProcessor.States`);
    }
  }
};

const segmentsOf = (path: string): string[] => {
  const body = path.startsWith('$$') ? path.slice(2) : path.slice(1);
  return body.split('.').filter(Boolean);
};

/** Reads a reference path: $, $.a.b, or $$.x.y from the context object. */
export const readPath = (input: Json, path: string, context: Json = {}): Json => {
  let value = path.startsWith('$$') ? context : input;
  for (const segment of segmentsOf(path)) {
    if (value === null || typeof value !== 'object' || !(segment in value))
      throw new ExecutionFailedError('States.Runtime', `${path} is not present in the input`);
    value = (value as Record<string, Json>)[segment];
  }
  return value;
};

const isPresent = (input: Json, path: string): boolean => {
  try {
    readPath(input, path);
    return true;
  } catch {
    return false;
  }
};

/** Parameters / ItemSelector / ResultSelector: keys ending in .$ take a path's value, others stay as written. */
const applyTemplate = (template: Json, input: Json, context: Json): Json => {
  if (Array.isArray(template)) return template.map((item) => applyTemplate(item, input, context));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) out[key.slice(0, -2)] = readPath(input, value as string, context);
    else out[key] = applyTemplate(value, input, context);
  }
  return out;
};

/** Puts a result into the input at ResultPath: absent means replace, null means discard. */
const placeResult = (input: Json, result: Json, resultPath: string | null | undefined): Json => {
  if (resultPath === null) return input;
  if (resultPath === undefined || resultPath === '$') return result;
  const segments = segmentsOf(resultPath);
  const root: Record<string, Json> =
    input !== null && typeof input === 'object' && !Array.isArray(input)
      ? structuredClone(input as Record<string, Json>)
      : {};
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    node = node[segment] =
      next !== null && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, Json>) : {};
  }
  node[segments.at(-1)!] = result;
  return root;
};

/** The service integrations this interpreter runs: Lambda's, request-response and callback. */
const lambdaIntegrations = new Set([
  'arn:aws:states:::lambda:invoke',
  'arn:aws:states:::lambda:invoke.waitForTaskToken',
]);

/** Errors States.ALL does not match in Step Functions: they end the execution whatever its Catch says. */
const uncatchableByAll = new Set(['States.Runtime', 'States.DataLimitExceeded']);

const matches = (errorEquals: string[], error: string): boolean =>
  errorEquals.includes(error) ||
  (errorEquals.includes('States.ALL') && !uncatchableByAll.has(error)) ||
  (errorEquals.includes('States.TaskFailed') && !error.startsWith('States.'));

/** Step Functions refuses state input or output over 256 KB (its payload quota), and so does this interpreter. */
const payloadLimitBytes = 262_144;
const withinPayloadLimit = (data: Json, where: string): Json => {
  const size = Buffer.byteLength(JSON.stringify(data) ?? '');
  if (size > payloadLimitBytes)
    throw new ExecutionFailedError(
      'States.DataLimitExceeded',
      `${where}: ${size} bytes, over the 256 KB payload quota`,
    );
  return data;
};

type Rule = Record<string, Json>;
const evaluate = (rule: Rule, input: Json): boolean => {
  if (Array.isArray(rule.And)) return (rule.And as Rule[]).every((r) => evaluate(r, input));
  if (Array.isArray(rule.Or)) return (rule.Or as Rule[]).some((r) => evaluate(r, input));
  if (rule.Not) return !evaluate(rule.Not as Rule, input);
  const path = rule.Variable as string;
  if ('IsPresent' in rule) return isPresent(input, path) === rule.IsPresent;
  // As in Step Functions: comparing a path that is not there is a runtime error, not false.
  const value = readPath(input, path);
  if ('BooleanEquals' in rule) return value === rule.BooleanEquals;
  if ('StringEquals' in rule) return value === rule.StringEquals;
  if ('NumericEquals' in rule) return value === rule.NumericEquals;
  if ('NumericGreaterThan' in rule) return typeof value === 'number' && value > (rule.NumericGreaterThan as number);
  if ('NumericLessThan' in rule) return typeof value === 'number' && value < (rule.NumericLessThan as number);
  throw new ExecutionFailedError('States.Runtime', `choice rule not supported locally: ${JSON.stringify(rule)}`);
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const errorNameOf = (error: unknown): string =>
  error instanceof ExecutionFailedError ? error.error : error instanceof Error ? error.name : 'Error';
const causeOf = (error: unknown): string =>
  error instanceof ExecutionFailedError ? error.cause_ : error instanceof Error ? error.message : String(error);

/** Runs a state machine to its end and returns its output; a failure rejects with ExecutionFailedError. */
export const runStateMachine = async (
  definition: StateMachineDefinition,
  input: Json,
  options: InterpreterOptions,
): Promise<Json> => {
  checkSupported(definition);
  const scale = options.timeScale ?? 1;
  const budget = { transitions: options.maxTransitions ?? 10_000 };

  const run = async (machine: StateMachineDefinition, machineInput: Json, context: Json): Promise<Json> => {
    let name = machine.StartAt;
    let data = machineInput;
    for (;;) {
      if ((budget.transitions -= 1) < 0)
        throw new ExecutionFailedError('States.Runtime', `more than ${options.maxTransitions ?? 10_000} transitions`);
      const state = machine.States[name];
      if (!state) throw new ExecutionFailedError('States.Runtime', `no state named ${name}`);
      options.onState?.(name, data);
      const effective = effectiveInput(state, data, context);

      if (state.Type === 'Succeed') return effective;
      if (state.Type === 'Fail')
        throw new ExecutionFailedError((state.Error as string) ?? 'States.Fail', (state.Cause as string) ?? '');
      if (state.Type === 'Choice') {
        const chosen = (state.Choices as Rule[]).find((rule) => evaluate(rule, effective));
        const next = (chosen?.Next as string | undefined) ?? (state.Default as string | undefined);
        if (!next) throw new ExecutionFailedError('States.NoChoiceMatched', `no choice of ${name} matched`);
        name = next;
        continue;
      }

      let output: Json;
      try {
        output = await runWithRetries(state, data, context);
      } catch (error) {
        const catcher = ((state.Catch as Catcher[] | undefined) ?? []).find((c) =>
          matches(c.ErrorEquals, errorNameOf(error)),
        );
        if (!catcher)
          throw error instanceof ExecutionFailedError
            ? error
            : new ExecutionFailedError(errorNameOf(error), causeOf(error));
        data = placeResult(
          data,
          { Error: errorNameOf(error), Cause: causeOf(error) },
          catcher.ResultPath === undefined ? '$' : catcher.ResultPath,
        );
        name = catcher.Next;
        continue;
      }
      withinPayloadLimit(output, `the output of ${name}`);
      if (state.End === true) return output;
      data = output;
      name = state.Next as string;
    }
  };

  const effectiveInput = (state: StateDef, raw: Json, context: Json): Json =>
    state.InputPath === null ? {} : state.InputPath ? readPath(raw, state.InputPath as string, context) : raw;

  const runWithRetries = async (state: StateDef, raw: Json, context: Json): Promise<Json> => {
    const attempts = new Map<Retrier, number>();
    for (;;) {
      try {
        return await runOnce(state, raw, context);
      } catch (error) {
        const retrier = ((state.Retry as Retrier[] | undefined) ?? []).find((r) =>
          matches(r.ErrorEquals, errorNameOf(error)),
        );
        const done = attempts.get(retrier!) ?? 0;
        if (!retrier || done >= (retrier.MaxAttempts ?? 3)) throw error;
        attempts.set(retrier, done + 1);
        await sleep((retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** done * 1000 * scale);
      }
    }
  };

  /**
   * One attempt of a Task: a Lambda function by its ARN, or the Lambda integration (lambda:invoke), whose
   * .waitForTaskToken form ends only when a token is sent for it. TimeoutSeconds (or TimeoutSecondsPath) bounds the
   * whole attempt, the wait for the token included, and ends it with States.Timeout.
   */
  const runTask = async (state: StateDef, effective: Json, context: Json): Promise<Json> => {
    const resource = state.Resource;
    const integration = typeof resource === 'string' && resource.startsWith('arn:aws:states:::') ? resource : undefined;
    if (integration && !lambdaIntegrations.has(integration))
      throw new ExecutionFailedError('States.Runtime', `${integration} is not supported locally`);
    const callback = integration?.endsWith('.waitForTaskToken') ?? false;
    if (callback && !options.tokens)
      throw new ExecutionFailedError('States.Runtime', 'a .waitForTaskToken task needs LocalTaskTokens');
    const issued = callback ? options.tokens!.issue() : undefined;
    const taskContext = issued ? { ...(context as object), Task: { Token: issued.token } } : context;
    const payload = withinPayloadLimit(
      state.Parameters !== undefined ? applyTemplate(state.Parameters, effective, taskContext) : effective,
      'a task input',
    );
    const invoked = integration
      ? options.invokeTask(
          (payload as { FunctionName?: Json }).FunctionName,
          (payload as { Payload?: Json }).Payload ?? effective,
        )
      : options.invokeTask(resource, payload);
    // The callback's result is what was sent for the token; the function's own answer is dropped (as in AWS).
    const outcome = issued
      ? invoked.then(
          () => issued.result,
          (error: unknown) => {
            options.tokens!.close(issued.token);
            throw error;
          },
        )
      : integration
        ? invoked.then((answer) => ({ Payload: answer, StatusCode: 200 }))
        : invoked;
    const timeoutSeconds = state.TimeoutSecondsPath
      ? readPath(effective, state.TimeoutSecondsPath as string)
      : state.TimeoutSeconds;
    if (timeoutSeconds === undefined) return outcome;
    if (typeof timeoutSeconds !== 'number' || !Number.isInteger(timeoutSeconds) || timeoutSeconds < 1)
      throw new ExecutionFailedError('States.Runtime', `TimeoutSeconds must be a positive integer: ${timeoutSeconds}`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          if (issued) options.tokens!.close(issued.token);
          reject(new ExecutionFailedError('States.Timeout', `no result within ${timeoutSeconds} seconds`));
        },
        timeoutSeconds * 1000 * (options.timeoutScale ?? scale),
      );
    });
    try {
      return await Promise.race([outcome, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };

  /** One attempt of a Task, Map, Wait or Pass: its result placed in its raw input at ResultPath, then OutputPath. */
  const runOnce = async (state: StateDef, raw: Json, context: Json): Promise<Json> => {
    const effective = effectiveInput(state, raw, context);
    let result: Json;
    switch (state.Type) {
      case 'Pass':
        result =
          state.Parameters !== undefined
            ? applyTemplate(state.Parameters, effective, context)
            : 'Result' in state
              ? state.Result
              : effective;
        break;
      case 'Wait': {
        const seconds = state.SecondsPath
          ? (readPath(effective, state.SecondsPath as string) as number)
          : ((state.Seconds as number | undefined) ?? 0);
        await sleep(seconds * 1000 * scale);
        return state.OutputPath ? readPath(raw, state.OutputPath as string) : raw;
      }
      case 'Task': {
        result = withinPayloadLimit(await runTask(state, effective, context), 'a task result');
        if (state.ResultSelector) result = applyTemplate(state.ResultSelector, result, context);
        break;
      }
      case 'Map': {
        const items = readPath(effective, (state.ItemsPath as string | undefined) ?? '$');
        if (!Array.isArray(items)) throw new ExecutionFailedError('States.Runtime', `Map items are not an array`);
        const processor = (state.ItemProcessor ?? state.Iterator) as StateMachineDefinition;
        const selector = state.ItemSelector ?? state.Parameters;
        const limit = (state.MaxConcurrency as number | undefined) || items.length || 1;
        const results: Json[] = new Array(items.length);
        let nextIndex = 0;
        const worker = async () => {
          while (nextIndex < items.length) {
            const index = nextIndex++;
            const itemContext = { ...(context as object), Map: { Item: { Index: index, Value: items[index] } } };
            const itemInput = selector !== undefined ? applyTemplate(selector, effective, itemContext) : items[index];
            results[index] = await run(processor, itemInput, itemContext);
          }
        };
        await Promise.all(Array.from({ length: Math.min(limit, Math.max(items.length, 1)) }, worker));
        result = results;
        break;
      }
      default:
        throw new ExecutionFailedError('States.Runtime', `state type ${state.Type}`);
    }
    const placed = placeResult(raw, result, state.ResultPath as string | null | undefined);
    return state.OutputPath ? readPath(placed, state.OutputPath as string) : placed;
  };

  return run(definition, input, {});
};
