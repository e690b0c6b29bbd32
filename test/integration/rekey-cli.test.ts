import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateSecretCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { main } from '../../src/cli/main';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { documentClient } from '../../src/aws/clients';
import { provisionResponderStack, responderEnvironment } from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';
import { captured } from '../support/captured-io';

describe('kms-warden rekey, against moto', () => {
  useMoto();
  let keyArn: string;
  let incidents: DynamoDbIncidentStore;

  beforeAll(async () => {
    const stack = await provisionResponderStack('cli');
    Object.assign(process.env, responderEnvironment(stack), { REKEY_SETTLE_MINUTES: '0', USER: 'dana' });
    incidents = new DynamoDbIncidentStore(documentClient(), stack.incidentTable);
    const kms = new KMSClient({});
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'billing' }));
    keyArn = KeyMetadata!.Arn!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/billing', TargetKeyId: KeyMetadata!.KeyId }));
    await new SecretsManagerClient({}).send(
      new CreateSecretCommand({ Name: 'billing/api', SecretString: 'x', KmsKeyId: keyArn }),
    );
    await new SSMClient({}).send(
      new PutParameterCommand({ Name: '/billing/token', Value: 'y', Type: 'SecureString', KeyId: 'alias/billing' }),
    );
  });

  it('plans without changing anything', async () => {
    const { out, io } = captured();
    expect(await main(['rekey', 'plan', 'alias/billing'], io)).toBe(0);
    expect(out[0]).toBe(`key:          ${keyArn} (alias/billing)`);
    expect(out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ {2}- secretsmanager:us-east-1:secret:arn:.*billing\/api.*: UpdateSecret with the new key/,
        ),
        expect.stringMatching(/^ {2}- ssm:us-east-1:parameter:\/billing\/token: put the value again/),
      ]),
    );
    expect(
      (await new SecretsManagerClient({}).send(new DescribeSecretCommand({ SecretId: 'billing/api' }))).KmsKeyId,
    ).toBe(keyArn);
  });

  it('runs to the end in this process, with the second approval given from another terminal', async () => {
    const running = captured();
    // Without --yes it says what it would do and starts nothing.
    const dry = captured();
    expect(await main(['rekey', 'run', keyArn, '--local', '--window-days', '7'], dry.io)).toBe(0);
    expect(dry.out[0]).toMatch(/Nothing changed\. Run again with --yes to start\.$/);
    expect(await incidents.listByKey(keyArn)).toEqual([]);
    const tooShort = captured();
    expect(await main(['rekey', 'run', keyArn, '--window-days', '3', '--yes'], tooShort.io)).toBe(2);
    expect(tooShort.err[0]).toBe(
      "kms-warden rekey: --window-days must be 7 to 30 (KMS's limits), not 3. See kms-warden rekey --help.",
    );

    const run = main(
      ['rekey', 'run', keyArn, '--local', '--poll-seconds', '0.05', '--window-days', '7', '--yes'],
      running.io,
    );
    let incidentId: string | undefined;
    for (let i = 0; i < 200 && !incidentId; i += 1) {
      const [incident] = await incidents.listByKey(keyArn);
      if (incident?.status === 're-keyed' && incident.rekey?.deletionRequestedAt) incidentId = incident.id;
      else await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(incidentId).toBeDefined();

    const status = captured();
    expect(await main(['rekey', 'status', incidentId!], status.io)).toBe(0);
    expect(status.out).toEqual(
      expect.arrayContaining([
        'secretsmanager: 1/1 done (1 re-encrypted)',
        'ssm: 1/1 done (1 re-encrypted)',
        `deletion:        waiting for approval since ${(await incidents.get(incidentId!))!.rekey!.deletionRequestedAt} (kms-warden rekey approve-deletion ${incidentId})`,
      ]),
    );

    const approving = captured();
    expect(await main(['rekey', 'approve-deletion', incidentId!], approving.io)).toBe(0);
    expect(approving.out[0]).toMatch(/Nothing changed\. Run again with --yes to decide\.$/);
    const statusJson = captured();
    expect(await main(['rekey', 'status', incidentId!, '--json'], statusJson.io)).toBe(0);
    expect(JSON.parse(statusJson.out[0]!)).toMatchObject({
      id: incidentId,
      status: 're-keyed',
      rekey: { oldKeyArn: keyArn, deletionRequestedAt: expect.any(String) },
    });
    expect(await main(['rekey', 'approve-deletion', incidentId!, '--yes', '--json'], approving.io)).toBe(0);
    expect(JSON.parse(approving.out[1]!)).toMatchObject({ incidentId, decided: true, oldKeyArn: keyArn });
    expect(await run).toBe(0);

    expect(running.out[0]).toBe(`incident ${incidentId}: re-key of ${keyArn} requested and approved by cli:dana`);
    expect(running.out).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^deletion: {8}scheduled for .*; to cancel: aws kms cancel-key-deletion --key-id /),
      ]),
    );
    expect(
      (await new KMSClient({}).send(new DescribeKeyCommand({ KeyId: keyArn.split('/').at(-1) }))).KeyMetadata!.KeyState,
    ).toBe('PendingDeletion');
    expect(
      (await incidents.get(incidentId!))!.decisions!.map((d) => `${d.action} by ${d.by} via ${d.channel}`),
    ).toEqual(['approve-rekey by cli:dana via cli', 'approve-deletion by cli:dana via cli']);

    // Acknowledging: without --yes it says what it would mean and changes nothing; with it, it is recorded.
    const parameter = Object.keys((await incidents.get(incidentId!))!.rekey!.resources).find((key) =>
      key.startsWith('ssm:'),
    )!;
    const ack = captured();
    expect(await main(['rekey', 'ack', incidentId!, parameter, '--why', 'checked by hand'], ack.io)).toBe(0);
    expect(ack.out[0]).toMatch(
      /^Acknowledge ssm:.* \(re-encrypted\): .* Nothing changed\. Run again with --yes to acknowledge\.$/,
    );
    expect((await incidents.get(incidentId!))!.rekey!.resources[parameter]!.status).toBe('re-encrypted');
    expect(
      await main(['rekey', 'ack', incidentId!, parameter, '--why', 'checked by hand', '--yes', '--json'], ack.io),
    ).toBe(0);
    expect(JSON.parse(ack.out[1]!)).toEqual({
      incidentId,
      resource: parameter,
      acknowledgedBy: 'cli:dana',
      why: 'checked by hand',
    });
    expect((await incidents.get(incidentId!))!.rekey!.resources[parameter]).toMatchObject({
      status: 'acknowledged',
      detail: 'acknowledged by cli:dana: checked by hand',
    });
  });

  it('refuses to approve a deletion that was not asked for, and explains usage errors', async () => {
    const { err, io } = captured();
    expect(await main(['rekey', 'approve-deletion', 'kw-none'], io)).toBe(1);
    expect(err[0]).toContain('kw-none is not an incident');
    expect(await main(['rekey', 'ack', 'kw-none', 'ssm:us-east-1:parameter:/x'], io)).toBe(2);
    expect(err[1]).toBe('kms-warden rekey: ack needs an INCIDENT, a RESOURCE and --why. See kms-warden rekey --help.');
    const [incident] = await incidents.listByKey(keyArn);
    // A typo is refused whether or not --yes is given.
    for (const yes of [[], ['--yes']]) {
      expect(
        await main(
          ['rekey', 'ack', incident!.id, 'ssm:us-east-1:parameter:/billing/tokn', '--why', 'typo', ...yes],
          io,
        ),
      ).toBe(1);
      expect(err.at(-1)).toBe(
        `kms-warden rekey: incident ${incident!.id} has no ssm:us-east-1:parameter:/billing/tokn: use a resource exactly as rekey status shows it`,
      );
    }
  });
});
