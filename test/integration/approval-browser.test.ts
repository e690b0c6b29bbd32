import { mkdirSync } from 'node:fs';
import type { DecisionJob } from '../../src/approvals/carry-out';
import type { DecisionExecutor } from '../../src/approvals/decide';
import { approvalEndpoint } from '../../src/composition/approvals';
import { loadConfig } from '../../src/config';
import { join } from 'node:path';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, KMSClient, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { chromium, type Browser } from 'playwright-core';
import { signToken } from '../../src/notify/approval-token';
import { serveApprovals } from '../../src/local/approval-server';
import { kmsApiCallRecord, viaEventBridge } from '../../src/local/cloudtrail-records';
import { localLambdaContext } from '../../src/local/lambda-context';
import { provisionResponderStack, responderEnvironment, type ResponderStack } from '../../src/local/responder-stack';
import { projectRoot } from '../../src/local/stack-definition';
import { chromiumArgs, chromiumExecutable } from '../support/browser';
import { useMoto } from '../support/moto';
import { createRekeyStateMachine } from '../support/rekey-state-machine';

const secretText = 'b'.repeat(64);

describe('an approval link in a real browser (Debian chromium, headless; installed by the harness where missing)', () => {
  const moto = useMoto();
  let stack: ResponderStack;
  let browser: Browser;
  let server: { url: string; close: () => Promise<void> };
  let respond: (event: unknown, context: unknown) => Promise<{ incidents?: Array<{ id: string }> }>;

  beforeAll(async () => {
    const executablePath = await chromiumExecutable();
    stack = await provisionResponderStack('browser');
    const { ARN } = await new SecretsManagerClient({}).send(
      new CreateSecretCommand({ Name: 'kms-warden/browser/signing', SecretString: secretText }),
    );
    const stateMachineArn = await createRekeyStateMachine('kms-warden-browser-rekey');
    moto.aws.useStack(stack, { ApprovalSigningSecret: { Ref: ARN }, RekeyStateMachine: { Ref: stateMachineArn } });
    Object.assign(process.env, responderEnvironment(stack), {
      APPROVAL_SECRET_ARN: ARN,
      REKEY_STATE_MACHINE_ARN: stateMachineArn,
    });
    // As in Lambda: the approvals function records the decision and hands it to the executor function, which
    // carries it out with its own role (here at once, in process, where Lambda would invoke it asynchronously).
    const { handler: execute } = (await moto.asFunction(
      'executeDecision',
      () => import('../../handlers/execute-decision'),
    )) as unknown as { handler: (job: DecisionJob, context: unknown) => Promise<unknown> };
    const handOver: DecisionExecutor = {
      dispatch: async (job) => (await execute(job, localLambdaContext('executeDecision')), 'handed-over'),
    };
    const handler = (await moto.asFunction('approvals', () =>
      approvalEndpoint(loadConfig(), handOver),
    )) as unknown as Parameters<typeof serveApprovals>[0];
    ({ handler: respond } = (await moto.asFunction(
      'onKmsApiCall',
      () => import('../../handlers/on-kms-api-call'),
    )) as unknown as { handler: typeof respond });
    server = await serveApprovals(handler, () => localLambdaContext('approvals'));
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: chromiumArgs,
    });
    // A fresh machine installs chromium here first (test/support/browser.ts).
  }, 10 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the key and the plan, approves on click, and the incident is approved in DynamoDB', async () => {
    const kms = new KMSClient({});
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'payments' }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata!.KeyId, PendingWindowInDays: 7 }));
    const outcome = await respond(
      viaEventBridge(
        kmsApiCallRecord({
          eventName: 'ScheduleKeyDeletion',
          keyArn: KeyMetadata!.Arn!,
          caller: { roleArn: 'arn:aws:iam::123456789012:role/ci-deployer', sessionName: 'mallory' },
          requestParameters: { keyId: KeyMetadata!.KeyId, pendingWindowInDays: 7 },
        }),
      ),
      localLambdaContext('onKmsApiCall'),
    );
    const incidentId = outcome.incidents![0]!.id;
    const token = signToken(
      { incidentId, action: 'approve-rekey', expiresAt: Math.floor(Date.now() / 1000) + 3600 },
      Buffer.from(secretText),
    );

    const page = await browser.newPage();
    await page.goto(`${server.url}${token}`);
    await expect(page.locator('h1').textContent()).resolves.toBe('Approve re-key?');
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).toContain(KeyMetadata!.Arn!);
    expect(body).toContain('cancel the scheduled deletion');
    expect(body).toContain('What this does');
    const output = join(projectRoot, 'test-output');
    mkdirSync(output, { recursive: true });
    await page.screenshot({ path: join(output, 'approval-page.png'), fullPage: true });

    await page.getByRole('button', { name: 'Approve re-key' }).click();
    await page.waitForSelector('text=Decided: Approve re-key');

    const { Items = [] } = await new DynamoDBClient({}).send(
      new QueryCommand({
        TableName: stack.incidentTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `INCIDENT#${incidentId}` } },
      }),
    );
    expect(unmarshall(Items[0]!)).toMatchObject({
      status: 'approved',
      // Carried out by the executor with its own role: re-keying started.
      decisions: [{ action: 'approve-rekey', channel: 'approval-link', carriedOut: { complete: true } }],
    });
    await page.close();
  });
});
