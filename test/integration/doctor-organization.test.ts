import { memberTemplateOfRepository } from '../../src/local/member-template-source';
import {
  CloudFormationClient,
  CreateStackInstancesCommand,
  CreateStackSetCommand,
  DescribeStackSetOperationCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudTrailClient, CreateTrailCommand } from '@aws-sdk/client-cloudtrail';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateEventBusCommand, EventBridgeClient, PutPermissionCommand } from '@aws-sdk/client-eventbridge';
import {
  AttachPolicyCommand,
  CreatePolicyCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { serviceControlPolicy } from '../../src/organization/service-control-policy';
import { main } from '../../src/cli/main';
import { captured } from '../support/captured-io';
import { useMoto } from '../support/moto';
import type { MemberAccount } from '../support/strict-aws/harness';

const stage = 'orgdoc';
const stackSet = `kms-warden-member-${stage}`;
type Check = { check: string; ok: boolean; detail: string; fix?: string };

const doctor = async (...argv: string[]) => {
  const run = captured();
  const code = await main(['doctor', '--organization', '--stage', stage, '--json', ...argv], run.io);
  return { code, checks: run.out.map((line) => JSON.parse(line) as Check), err: run.err };
};

/**
 * kms-warden doctor --organization against moto, from the management account. moto (5.2.1) deploys a service-managed
 * StackSet to the management account too, which AWS never does: doctor reports the management account apart, whatever
 * its instances.
 */
describe('kms-warden doctor --organization, against moto', () => {
  const moto = useMoto({ organization: ['payments', 'analytics'] });
  let payments: MemberAccount;
  let analytics: MemberAccount;
  const cloudFormation = () => new CloudFormationClient({});

  beforeAll(() => {
    [payments, analytics] = moto.aws.organization!.members as [MemberAccount, MemberAccount];
  });

  const deployInstances = async (regions: string[]) => {
    const { Roots = [] } = await new OrganizationsClient({}).send(new ListRootsCommand({}));
    const { OperationId } = await cloudFormation().send(
      new CreateStackInstancesCommand({
        StackSetName: stackSet,
        DeploymentTargets: { OrganizationalUnitIds: [Roots[0]!.Id!] },
        Regions: regions,
      }),
    );
    await cloudFormation().send(new DescribeStackSetOperationCommand({ StackSetName: stackSet, OperationId }));
  };

  it('says what is missing, then nothing once the StackSet, the SCP, the bus and the organization trail are there', async () => {
    const first = await doctor('--regions', 'us-east-1,eu-west-1');
    expect(first.code).toBe(1);
    expect(first.checks[0]).toMatchObject({ check: 'organization', ok: true });
    expect(first.checks[0]!.detail).toMatch(/3 accounts/);
    expect(first.checks.find((c) => c.check === 'member-stackset')).toMatchObject({
      ok: false,
      detail: `no StackSet ${stackSet}: no member account forwards events or lets kms-warden act in it`,
    });
    expect(first.checks.find((c) => c.check === 'organization-bus')).toMatchObject({ ok: false });
    expect(first.checks.find((c) => c.check === 'service-control-policy')).toMatchObject({ ok: false });
    expect(first.checks.find((c) => c.check === 'organization-trail')).toMatchObject({ ok: false });

    const template = memberTemplateOfRepository();
    await cloudFormation().send(
      new CreateStackSetCommand({
        StackSetName: stackSet,
        TemplateBody: JSON.stringify(template),
        PermissionModel: 'SERVICE_MANAGED',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        Parameters: Object.entries({
          Stage: stage,
          CentralAccountId: moto.aws.organization!.management,
          CentralRegion: 'us-east-1',
          OrganizationId: moto.aws.organization!.id,
          ExternalId: `kms-warden-${stage}`,
        }).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
      }),
    );
    await deployInstances(['us-east-1']);

    const second = await doctor('--regions', 'us-east-1,eu-west-1');
    const members = second.checks.filter((c) => c.check === 'member-stackset');
    for (const account of [payments, analytics]) {
      const finding = members.find((c) => c.detail.startsWith(`${account.account} (${account.name})`));
      expect(finding).toMatchObject({ ok: false, detail: expect.stringContaining('no member stack in eu-west-1') });
      expect(finding!.fix).toContain('--regions eu-west-1');
    }
    expect(members.find((c) => c.detail.includes('is the management account'))).toMatchObject({ ok: true });

    await deployInstances(['eu-west-1']);
    const events = new EventBridgeClient({});
    await events.send(new CreateEventBusCommand({ Name: `kms-warden-${stage}-organization` }));
    await events.send(
      new PutPermissionCommand({
        EventBusName: `kms-warden-${stage}-organization`,
        StatementId: 'organization-accounts-put-events',
        Action: 'events:PutEvents',
        Principal: '*',
        Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: moto.aws.organization!.id },
      }),
    );
    await new S3Client({ forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: `${stage}-trail` }));
    await new CloudTrailClient({}).send(
      new CreateTrailCommand({
        Name: 'organization',
        S3BucketName: `${stage}-trail`,
        IsOrganizationTrail: true,
        IsMultiRegionTrail: true,
      }),
    );

    // The service control policy kms-warden prints, attached to the organization's root.
    const organizations = new OrganizationsClient({});
    const { Policy } = await organizations.send(
      new CreatePolicyCommand({
        Name: `kms-warden-${stage}`,
        Description: 'kms-warden',
        Type: 'SERVICE_CONTROL_POLICY',
        Content: JSON.stringify(serviceControlPolicy(stage)),
      }),
    );
    const { Roots = [] } = await organizations.send(new ListRootsCommand({}));
    await organizations.send(
      new AttachPolicyCommand({ PolicyId: Policy!.PolicySummary!.Id!, TargetId: Roots[0]!.Id! }),
    );

    const third = await doctor('--regions', 'us-east-1,eu-west-1');
    expect(third.checks.filter((c) => !c.ok)).toEqual([]);
    expect(third.code).toBe(0);
    expect(third.err.at(-1)).toMatch(/0 to fix/);
  });

  it('refuses its own flags without --organization, and a --call-as it does not know', async () => {
    const run = captured();
    expect(await main(['doctor', '--regions', 'eu-west-1'], run.io)).toBe(2);
    expect(run.err.join('\n')).toContain('--regions goes with --organization');
    expect(await main(['doctor', '--organization', '--call-as', 'ROOT'], run.io)).toBe(2);
  });
});
