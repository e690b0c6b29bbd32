import {
  ExecutionAlreadyExists,
  InvalidToken,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  paginateListExecutions,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { RekeyWorkflow, TaskResumer } from '../approvals/ports';
import type { RekeyRun } from '../rekey/step';

/**
 * Resumes an execution waiting on a task token (the callback pattern). A token whose task is closed (resumed by
 * someone else first, timed out, its execution stopped) answers TaskTimedOut, TaskDoesNotExist or InvalidToken
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html#API_SendTaskSuccess_Errors):
 * nothing waits on it, which is false here, not an error; the wait it ended ended anyway.
 */
export class StepFunctionsTaskResumer implements TaskResumer {
  constructor(private readonly client: SFNClient) {}

  async resume(token: string, output: Record<string, string>): Promise<boolean> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
      return true;
    } catch (error) {
      if (error instanceof TaskTimedOut || error instanceof TaskDoesNotExist || error instanceof InvalidToken)
        return false;
      throw error;
    }
  }
}

/**
 * Starts the re-key state machine. The first run of an incident is named after it: Step Functions refuses a second
 * execution of the same name, so a double approval cannot start two runs. A resumed run names its attempt.
 */
export class StepFunctionsRekeyWorkflow implements RekeyWorkflow {
  private readonly resumer: StepFunctionsTaskResumer;

  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {
    this.resumer = new StepFunctionsTaskResumer(client);
  }

  resume(token: string, output: Record<string, string>): Promise<boolean> {
    return this.resumer.resume(token, output);
  }

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
