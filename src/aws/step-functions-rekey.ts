import {
  ExecutionAlreadyExists,
  StartExecutionCommand,
  paginateListExecutions,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { RekeyWorkflow } from '../approvals/ports';
import type { RekeyRun } from '../rekey/step';

/**
 * Starts the re-key state machine. The first run of an incident is named after it: Step Functions refuses a second
 * execution of the same name, so a double approval cannot start two runs. A resumed run names its attempt.
 */
export class StepFunctionsRekeyWorkflow implements RekeyWorkflow {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(run: RekeyRun, attempt?: string): Promise<{ started: boolean; detail: string }> {
    // Execution names: 1 to 80 characters of letters, digits, - and _.
    const name = `${run.incidentId}${attempt ? `-${attempt}` : ''}`.replace(/[^\w-]/g, '-').slice(0, 80);
    if (attempt) {
      // A resumed run must not race one still going: two runs would both move resources and alias the key.
      for await (const page of paginateListExecutions(
        { client: this.client },
        { stateMachineArn: this.stateMachineArn, statusFilter: 'RUNNING' },
      )) {
        const running = (page.executions ?? []).find((execution) => execution.name?.startsWith(run.incidentId));
        if (running)
          return {
            started: false,
            detail: `re-keying of this incident is still running (execution ${running.name}); wait for it or stop it first`,
          };
      }
    }
    try {
      const { executionArn } = await this.client.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify({ run }) }),
      );
      return { started: true, detail: `re-keying started (execution ${executionArn})` };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists)
        return { started: false, detail: `re-keying of this incident is already running (execution ${name})` };
      throw error;
    }
  }
}
