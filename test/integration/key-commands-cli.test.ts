import { CreateRoleCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListGrantsCommand,
} from '@aws-sdk/client-kms';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { main } from '../../src/cli/main';
import { DynamoDbIncidentStore } from '../../src/aws/dynamodb-incident-store';
import { documentClient } from '../../src/aws/clients';
import { provisionResponderStack, responderEnvironment } from '../../src/local/responder-stack';
import { useMoto } from '../support/moto';
import { captured } from '../support/captured-io';

describe('kms-warden inventory and contain, against moto', () => {
  const moto = useMoto();
  const suspect = 'arn:aws:iam::123456789012:role/leaky-ci';
  let incidents: DynamoDbIncidentStore;
  let keyArn: string;
  let keyId: string;
  const kms = () => new KMSClient({});

  beforeAll(async () => {
    const stack = await provisionResponderStack('cli-keys');
    Object.assign(process.env, responderEnvironment(stack, { responderRoles: moto.aws.responderRoles }), {
      USER: 'frank',
    });
    incidents = new DynamoDbIncidentStore(documentClient(), stack.incidentTable);
    const { KeyMetadata } = await kms().send(new CreateKeyCommand({ Description: 'orders' }));
    keyArn = KeyMetadata!.Arn!;
    keyId = KeyMetadata!.KeyId!;
    await kms().send(new CreateAliasCommand({ AliasName: 'alias/orders', TargetKeyId: keyId }));
    await new SSMClient({}).send(
      new PutParameterCommand({ Name: '/orders/db', Value: 'v', Type: 'SecureString', KeyId: keyArn }),
    );
    await new IAMClient({}).send(
      new CreateRoleCommand({
        RoleName: 'leaky-ci',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    await kms().send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: suspect, Operations: ['Decrypt'] }));
    await kms().send(
      new CreateGrantCommand({
        KeyId: keyId,
        GranteePrincipal: 'arn:aws:iam::123456789012:role/payments-app',
        Operations: ['Decrypt'],
      }),
    );
  });

  it('lists what a key protects, read only', async () => {
    const { out, io } = captured();
    expect(await main(['inventory', 'alias/orders'], io)).toBe(0);
    expect(out).toEqual([`${keyArn} (alias/orders) protects 1 resource:`, '  ssm:us-east-1:parameter:/orders/db']);
  });

  it("refuses to isolate kms-warden's own roles, service-linked roles and sessions, changing nothing", async () => {
    for (const [principal, why] of [
      [
        'arn:aws:iam::123456789012:role/kms-warden/test/kms-warden-test-us-east-1-on-kms-api-call',
        "is one of kms-warden's own roles",
      ],
      [
        'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef',
        'is managed by AWS',
      ],
      [
        'arn:aws:iam::123456789012:role/aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS',
        'is a service-linked role',
      ],
      [
        'arn:aws:sts::123456789012:assumed-role/leaky-ci/build-42',
        'is a session: name its role instead (arn:aws:iam::123456789012:role/leaky-ci',
      ],
    ]) {
      const { err, io } = captured();
      expect(await main(['contain', keyArn, '--principal', principal!, '--yes'], io)).toBe(2);
      expect(err[0]).toContain(why);
    }
    expect((await kms().send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy).not.toContain(
      'KmsWardenDeny',
    );
  });

  it('shows the plan without --yes, then isolates the principal and records an incident that release undoes', async () => {
    const elsewhere = captured();
    expect(
      await main(['contain', keyArn, '--principal', suspect, '--account', '999988887777', '--yes'], elsewhere.io),
    ).toBe(2);
    expect(elsewhere.err[0]).toBe(
      `kms-warden contain: ${keyArn} is a key of account ${keyArn.split(':')[4]}, not 999988887777: nothing changed.`,
    );
    const dry = captured();
    expect(await main(['contain', keyArn, '--principal', suspect], dry.io)).toBe(0);
    expect(dry.out.at(-1)).toBe('Nothing changed. Run again with --yes to apply this plan.');
    expect((await kms().send(new ListGrantsCommand({ KeyId: keyId }))).Grants).toHaveLength(2);

    // With --json the result is one object: the plan and each step's outcome.
    const applied = captured();
    expect(await main(['contain', keyArn, '--principal', suspect, '--yes', '--json'], applied.io)).toBe(0);
    expect(applied.out).toHaveLength(1);
    const result = JSON.parse(applied.out[0]!) as {
      applied: boolean;
      incidentId: string;
      status: string;
      steps: Array<{ type: string; outcome: string }>;
    };
    expect(result).toMatchObject({ keyArn, applied: true, status: 'contained' });
    expect(result.steps.map((s) => `${s.type}: ${s.outcome}`)).toEqual([
      'deny-principal-in-key-policy: applied',
      'revoke-grants: applied',
      'quarantine-principal: applied',
    ]);
    // Only the suspect's grant went; the payments app keeps its own.
    expect((await kms().send(new ListGrantsCommand({ KeyId: keyId }))).Grants!.map((g) => g.GranteePrincipal)).toEqual([
      'arn:aws:iam::123456789012:role/payments-app',
    ]);
    expect((await kms().send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy).toContain(
      'KmsWardenDeny',
    );
    expect((await new IAMClient({}).send(new ListRolePoliciesCommand({ RoleName: 'leaky-ci' }))).PolicyNames).toEqual([
      'KmsWardenQuarantine',
    ]);
    expect((await kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState).toBe('Enabled');

    const { incidentId } = result;
    expect(await incidents.get(incidentId)).toMatchObject({
      status: 'contained',
      signal: { detector: 'operator-contain', principal: { arn: 'cli:frank' } },
    });
    const released = captured();
    expect(await main(['release', incidentId, '--yes', '--json'], released.io)).toBe(0);
    expect(JSON.parse(released.out[0]!)).toEqual({
      incidentId,
      action: 'release',
      decided: true,
      status: 'released',
      detail: 'every reversible step was undone',
      complete: true,
    });
    expect((await kms().send(new ListGrantsCommand({ KeyId: keyId }))).Grants).toHaveLength(2);
    expect((await kms().send(new GetKeyPolicyCommand({ KeyId: keyId, PolicyName: 'default' }))).Policy).not.toContain(
      'KmsWardenDeny',
    );
    expect((await new IAMClient({}).send(new ListRolePoliciesCommand({ RoleName: 'leaky-ci' }))).PolicyNames).toEqual(
      [],
    );
  });
});
