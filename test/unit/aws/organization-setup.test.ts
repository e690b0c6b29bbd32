import {
  CloudFormationClient,
  DescribeStackSetCommand,
  ListStackInstancesCommand,
} from '@aws-sdk/client-cloudformation';
import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  ListAccountsCommand,
  ListPoliciesCommand,
  ListTargetsForPolicyCommand,
  OrganizationsClient,
  OrganizationsServiceException,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { OrganizationSetup } from '../../../src/aws/organization-setup';

const organizations = mockClient(OrganizationsClient);
const cloudFormation = mockClient(CloudFormationClient);
const events = mockClient(EventBridgeClient);
const cloudTrail = mockClient(CloudTrailClient);

const setup = (regions = ['eu-west-1']) =>
  new OrganizationSetup(
    {
      organizations: new OrganizationsClient({}),
      cloudFormation: new CloudFormationClient({}),
      events: new EventBridgeClient({}),
      cloudTrail: new CloudTrailClient({}),
    },
    { stage: 'prod', region: 'eu-west-1', regions, stackSetName: 'kms-warden-member-prod', callAs: 'DELEGATED_ADMIN' },
  );

beforeEach(() => {
  for (const client of [organizations, cloudFormation, events, cloudTrail]) client.reset();
  organizations.on(DescribeOrganizationCommand).resolves({
    Organization: { Id: 'o-a1b2c3d4e5', MasterAccountId: '111111111111' },
  });
  organizations.on(ListAccountsCommand).resolves({
    Accounts: [
      { Id: '111111111111', Name: 'management', Status: 'ACTIVE' },
      { Id: '222222222222', Name: 'payments', Status: 'ACTIVE' },
      { Id: '333333333333', Name: 'closed', Status: 'SUSPENDED' },
    ],
  });
  cloudFormation.on(DescribeStackSetCommand).resolves({
    StackSet: { PermissionModel: 'SERVICE_MANAGED', AutoDeployment: { Enabled: true } },
  });
  events.on(DescribeEventBusCommand).resolves({
    Policy: JSON.stringify({ Statement: [{ Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } }] }),
  });
  cloudTrail.on(DescribeTrailsCommand).resolves({
    trailList: [{ Name: 'org', IsOrganizationTrail: true, IsMultiRegionTrail: true, HomeRegion: 'us-east-1' }],
  });
  organizations.on(ListPoliciesCommand).resolves({
    Policies: [
      { Id: 'p-other', Name: 'deny-regions' },
      { Id: 'p-kw', Name: 'kms-warden-prod' },
    ],
  });
  organizations
    .on(DescribePolicyCommand, { PolicyId: 'p-other' })
    .resolves({ Policy: { Content: '{"Statement":[]}' } });
  organizations
    .on(DescribePolicyCommand, { PolicyId: 'p-kw' })
    .resolves({ Policy: { Content: JSON.stringify({ Resource: 'arn:*:iam::*:role/*kms-warden-member-prod' }) } });
  organizations
    .on(ListTargetsForPolicyCommand)
    .resolves({ Targets: [{ TargetId: 'r-ab12', Name: 'Root', Type: 'ROOT' }] });
});

describe('kms-warden doctor --organization', () => {
  it('names an instance that failed, with its reason, and what to run to see more', async () => {
    cloudFormation.on(ListStackInstancesCommand).resolves({
      Summaries: [
        {
          Account: '222222222222',
          Region: 'eu-west-1',
          Status: 'OUTDATED',
          StackInstanceStatus: { DetailedStatus: 'FAILED' },
          StatusReason: 'Invalid principal in policy',
        },
      ],
    });
    const checks = await setup().all();
    const payments = checks.find((c) => c.detail.startsWith('222222222222'));
    expect(payments).toMatchObject({
      ok: false,
      detail: '222222222222 (payments): member stack in eu-west-1 is OUTDATED/FAILED: Invalid principal in policy',
    });
    expect(payments!.fix).toContain('--call-as DELEGATED_ADMIN');
    // Suspended accounts are not asked for; the management account is reported apart.
    expect(checks.some((c) => c.detail.startsWith('333333333333'))).toBe(false);
    expect(checks.find((c) => c.detail.startsWith('111111111111'))).toMatchObject({ ok: true });
  });

  it('reads every page of instances, and is content when each account has a current one in each Region', async () => {
    cloudFormation
      .on(ListStackInstancesCommand)
      .resolvesOnce({
        Summaries: [{ Account: '222222222222', Region: 'eu-west-1', Status: 'CURRENT' }],
        NextToken: 'more',
      })
      .resolvesOnce({
        Summaries: [
          {
            Account: '222222222222',
            Region: 'us-east-1',
            Status: 'CURRENT',
            StackInstanceStatus: { DetailedStatus: 'SUCCEEDED' },
          },
        ],
      });
    const checks = await setup(['eu-west-1', 'us-east-1']).all();
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('says which permission it lacks and where to run it when the organization cannot be listed', async () => {
    organizations.on(ListAccountsCommand).rejects(
      new OrganizationsServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: "You don't have permissions to access this resource.",
      }),
    );
    expect(await setup().all()).toEqual([
      {
        check: 'organization',
        ok: false,
        detail: "cannot list the organization's accounts: access denied (needs organizations:ListAccounts)",
        fix: 'run it from the management account or a delegated administrator, with organizations:ListAccounts allowed',
      },
    ]);
  });

  it('refuses a StackSet that does not deploy to accounts that join, and a bus that admits another organization', async () => {
    cloudFormation.on(DescribeStackSetCommand).resolves({ StackSet: { PermissionModel: 'SELF_MANAGED' } });
    cloudFormation.on(ListStackInstancesCommand).resolves({ Summaries: [] });
    events.on(DescribeEventBusCommand).resolves({ Policy: '{"Statement":[{"Principal":"*"}]}' });
    cloudTrail.on(DescribeTrailsCommand).resolves({ trailList: [{ Name: 'account-only', IsMultiRegionTrail: true }] });
    const failing = (await setup().all()).filter((c) => !c.ok).map((c) => c.check);
    expect(failing).toEqual(['member-stackset', 'member-stackset', 'organization-bus', 'organization-trail']);
  });

  it("names the service control policy guarding kms-warden's member parts, and says when none is attached", async () => {
    cloudFormation.on(ListStackInstancesCommand).resolves({ Summaries: [] });
    const attached = (await setup().all()).find((c) => c.check === 'service-control-policy');
    expect(attached).toMatchObject({ ok: true, detail: expect.stringContaining('kms-warden-prod') });
    expect(attached!.detail).toContain('ROOT Root');
    organizations.on(ListTargetsForPolicyCommand).resolves({ Targets: [] });
    expect((await setup().all()).find((c) => c.check === 'service-control-policy')).toMatchObject({
      ok: false,
      detail: 'service control policy kms-warden-prod guards kms-warden but is attached nowhere',
    });
    organizations.on(ListPoliciesCommand).resolves({ Policies: [{ Id: 'p-other', Name: 'deny-regions' }] });
    const none = (await setup().all()).find((c) => c.check === 'service-control-policy');
    expect(none).toMatchObject({
      ok: false,
      detail: 'no service control policy guards kms-warden-member-prod and its forwarders',
    });
    expect(none!.fix).toContain('npx kms-warden organization scp --stage prod');
  });
});
