import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RekeyWorkflow } from '../approvals/ports';
import { runRekeyStep } from '../rekey/steps';
import type { RekeyDeps, RekeyRun } from '../rekey/step';
import { runStateMachine, type StateMachineDefinition } from './asl-interpreter';
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

  constructor(
    private readonly deps: RekeyDeps,
    private readonly options: { timeScale?: number; onState?: (incidentId: string, state: string) => void } = {},
  ) {}

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
        onState: (state) => this.options.onState?.(run.incidentId, state),
      },
    );
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

  /** The run's output, or its failure thrown. */
  async finished(incidentId: string, attempt?: string): Promise<unknown> {
    const settled = (await this.runs.get(`${incidentId}${attempt ? `-${attempt}` : ''}`)) as
      { ok: boolean; output?: unknown; error?: unknown } | undefined;
    if (!settled) throw new Error(`no local re-key run for ${incidentId}`);
    if (!settled.ok) throw settled.error;
    return settled.output;
  }
}
