import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/local/stack-definition';

/**
 * The re-key state machine in moto's Step Functions, from the definition the stack deploys: approving a re-key must
 * start an execution of it. moto does not run it; the local interpreter does, where a test needs the run itself.
 */
export const createRekeyStateMachine = async (name: string): Promise<string> => {
  const { stateMachineArn } = await new SFNClient({}).send(
    new CreateStateMachineCommand({
      name,
      definition: readFileSync(join(projectRoot, 'src/rekey/rekey-workflow.asl.json'), 'utf8'),
      roleArn: 'arn:aws:iam::123456789012:role/sfn',
    }),
  );
  return stateMachineArn!;
};
