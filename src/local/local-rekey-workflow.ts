import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RekeyWorkflow } from '../approvals/ports';
import { runRekeyStep } from '../rekey/steps';
import type { RekeyDeps, RekeyRun } from '../rekey/step';
import { waitEnded } from '../rekey/waiting';
import { LocalTaskTokens, runStateMachine, TaskTokenError, type StateMachineDefinition } from './asl-interpreter';
import { projectRoot } from './stack-definition';

/** The definition Step Functions runs, read from the same file serverless.yml deploys. */
export const rekeyDefinition = (): StateMachineDefinition =>
  JSON.parse(readFileSync(join(projectRoot, 'src/rekey/rekey-workflow.asl.json'), 'utf8')) as StateMachineDefinition;

/**
 * Re-keying on a laptop and in tests: the deployed definition, run by the local interpreter, each Task calling the
 * step in process. Runs go on in the background like executions; `finished` waits for one.
 */
export class LocalRekeyWorkflow implements RekeyWorkflow {
  private readonly runs = new Map<string, Promise<unknown>>();
  private readonly tokens = new LocalTaskTokens();
  private readonly deps: RekeyDeps;

  constructor(
    deps: Omit<RekeyDeps, 'workflow'>,
    private readonly options: {
      timeScale?: number;
      /** Task timeouts (a wait for people) scale by this, timeScale unless given. */
      timeoutScale?: number;
      /** Told of every state entered, with the execution's data as it enters it. */
      onState?: (incidentId: string, state: string, data: unknown) => void;
      /**
       * How often a run waiting for people reads its incident, to resume itself when the wait ended there: a person
       * acknowledging or approving from another process (another terminal) cannot send this process's tokens.
       */
      watchEveryMs?: number;
    } = {},
  ) {
    this.deps = { ...deps, workflow: this };
  }

  /** SendTaskSuccess, in process: false (as TaskTimedOut or InvalidToken in AWS) when nothing waits on the token. */
  async resume(token: string, output: Record<string, string>): Promise<boolean> {
    try {
      this.tokens.sendTaskSuccess(token, JSON.stringify(output));
      return true;
    } catch (error) {
      if (error instanceof TaskTokenError) return false;
      throw error;
    }
  }

  async start(run: RekeyRun, attempt?: string): Promise<{ started: boolean; detail: string }> {
    const name = `${run.incidentId}${attempt ? `-${attempt}` : ''}`;
    if (this.runs.has(name))
      return { started: false, detail: `re-keying of this incident is already running (execution ${name})` };
    const execution = runStateMachine(
      rekeyDefinition(),
      { run },
      {
        invokeTask: (_resource, input) => runRekeyStep(input as { step: string }, this.deps),
        timeScale: this.options.timeScale ?? 1,
        ...(this.options.timeoutScale !== undefined ? { timeoutScale: this.options.timeoutScale } : {}),
        tokens: this.tokens,
        onState: (state, data) => this.options.onState?.(run.incidentId, state, data),
      },
    );
    const watching = this.options.watchEveryMs
      ? setInterval(() => void this.resumeIfEnded(run.incidentId), this.options.watchEveryMs)
      : undefined;
    void execution.finally(() => clearInterval(watching)).catch(() => undefined);
    // Kept settled here, so an unawaited failure is not an unhandled rejection; `finished` rethrows it.
    this.runs.set(
      name,
      execution.then(
        (output) => ({ ok: true, output }),
        (error: unknown) => ({ ok: false, error }),
      ),
    );
    return { started: true, detail: `re-keying started (local execution ${name})` };
  }

  /** Resumes the run's wait if what it waits for happened, as recorded on the incident by another process. */
  private async resumeIfEnded(incidentId: string): Promise<void> {
    try {
      const incident = await this.deps.incidents.get(incidentId);
      const awaiting = incident?.rekey?.awaiting;
      if (incident && awaiting && waitEnded(incident, awaiting.for, awaiting.since))
        await this.resume(awaiting.token, { by: 'kms-warden', why: 'seen on the incident' });
    } catch (error) {
      this.deps.logger.warn('could not read the incident to see whether its wait ended', { error: error as Error });
    }
  }

  /** The run's output, or its failure thrown. */
  async finished(incidentId: string, attempt?: string): Promise<unknown> {
    const settled = (await this.runs.get(`${incidentId}${attempt ? `-${attempt}` : ''}`)) as
      { ok: boolean; output?: unknown; error?: unknown } | undefined;
    if (!settled) throw new Error(`no local re-key run for ${incidentId}`);
    if (!settled.ok) throw settled.error;
    return settled.output;
  }
}
