import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { RekeyPlanner } from '../respond/responder-deps';
import { invokeAsynchronously } from './lambda-async';

/**
 * Asks the planning function (handlers/plan-rekey.ts) to list what re-keying an incident's key would do: an
 * asynchronous invocation with the incident's id only, so the responder never waits for inventories and never holds
 * their permissions. The Lambda client is made on the first request: responders run on every KMS call, and only an
 * incident that asks to approve a re-key needs it, so its loading stays off their cold start.
 */
export class LambdaRekeyPlanner implements RekeyPlanner {
  private client: Promise<LambdaClient> | undefined;

  constructor(
    private readonly makeClient: () => Promise<LambdaClient>,
    private readonly functionName: string,
  ) {}

  async request(incidentId: string): Promise<void> {
    this.client ??= this.makeClient();
    await invokeAsynchronously(await this.client, this.functionName, { incidentId }, 'the re-key plan');
  }
}
