import {
  CloudFormationClient,
  DescribeStackSetCommand,
  StackSetNotFoundException,
  paginateListStackInstances,
  type CallAs,
  type StackInstanceSummary,
} from '@aws-sdk/client-cloudformation';
import { CloudTrailClient, DescribeTrailsCommand } from '@aws-sdk/client-cloudtrail';
import { DescribeEventBusCommand, EventBridgeClient, ResourceNotFoundException } from '@aws-sdk/client-eventbridge';
import {
  DescribeOrganizationCommand,
  DescribePolicyCommand,
  OrganizationsClient,
  paginateListAccounts,
  paginateListPolicies,
  paginateListTargetsForPolicy,
  type Account,
  type PolicyTargetSummary,
} from '@aws-sdk/client-organizations';
import { asking as askingOr, MissingPermissionError, type SetupCheck } from './account-setup';

export interface OrganizationSetupClients {
  organizations: OrganizationsClient;
  cloudFormation: CloudFormationClient;
  events: EventBridgeClient;
  cloudTrail: CloudTrailClient;
}

/** Outside an organization, Organizations answers AWSOrganizationsNotInUseException: as good as a refusal here. */
const asking = <T>(action: string, call: () => Promise<T>) =>
  askingOr(action, call, ['AWSOrganizationsNotInUseException']);

const denied = (check: string, what: string, error: MissingPermissionError): SetupCheck => ({
  check,
  ok: false,
  detail: `cannot ${what}: ${error.message}`,
  fix: `run it from the management account or a delegated administrator, with ${error.action} allowed`,
});

/** A stack instance in working order: its stack is current and its last operation succeeded. */
const working = (instance: StackInstanceSummary) =>
  instance.Status === 'CURRENT' &&
  (instance.StackInstanceStatus?.DetailedStatus === undefined ||
    instance.StackInstanceStatus.DetailedStatus === 'SUCCEEDED');

/**
 * `kms-warden doctor --organization`, from the central account: the organization can be listed, the member StackSet
 * reaches every account and Region (its instances' status), the central organization bus admits the organization, and
 * an organization trail records management events for every account. Reads only.
 */
export class OrganizationSetup {
  static readonly iamActions = [
    'organizations:DescribeOrganization',
    'organizations:ListAccounts',
    'organizations:ListPolicies',
    'organizations:DescribePolicy',
    'organizations:ListTargetsForPolicy',
    'cloudformation:DescribeStackSet',
    'cloudformation:ListStackInstances',
    'events:DescribeEventBus',
    'cloudtrail:DescribeTrails',
  ];

  constructor(
    private readonly clients: OrganizationSetupClients,
    private readonly options: {
      stage: string;
      /** The central stack's Region: the member StackSet is read there, and must reach it. */
      region: string;
      /** The Regions the member StackSet must reach (the central Region at least). */
      regions: readonly string[];
      stackSetName: string;
      /** DELEGATED_ADMIN when a StackSets delegated administrator, not the management account, runs it. */
      callAs: CallAs;
    },
  ) {}

  async all(): Promise<SetupCheck[]> {
    const organization = await this.organization();
    if (!('accounts' in organization)) return [organization];
    const { accounts, id, management } = organization;
    return [
      organization.check,
      ...(await this.stackSet(accounts, management)),
      await this.serviceControlPolicy(),
      await this.organizationBus(id),
      await this.organizationTrail(),
    ];
  }

  private async organization(): Promise<
    SetupCheck | { check: SetupCheck; accounts: Account[]; id: string; management: string }
  > {
    const check = 'organization';
    try {
      const { Organization } = await asking('organizations:DescribeOrganization', () =>
        this.clients.organizations.send(new DescribeOrganizationCommand({})),
      );
      // At most 20 a page, and a page may be empty with a NextToken: the paginator reads them all.
      const accounts = await asking('organizations:ListAccounts', async () => {
        const found: Account[] = [];
        for await (const page of paginateListAccounts({ client: this.clients.organizations, pageSize: 20 }, {}))
          found.push(...(page.Accounts ?? []));
        return found;
      });
      return {
        check: {
          check,
          ok: true,
          detail: `organization ${Organization?.Id}: ${accounts.length} accounts (management ${Organization?.MasterAccountId})`,
        },
        accounts,
        id: Organization?.Id ?? '',
        management: Organization?.MasterAccountId ?? '',
      };
    } catch (error) {
      if (error instanceof MissingPermissionError) return denied(check, "list the organization's accounts", error);
      throw error;
    }
  }

  /** Every active account but the management one has a working instance in every Region. */
  private async stackSet(accounts: Account[], management: string): Promise<SetupCheck[]> {
    const check = 'member-stackset';
    const { stackSetName: name, callAs } = this.options;
    const client = this.clients.cloudFormation;
    try {
      const { StackSet } = await asking('cloudformation:DescribeStackSet', () =>
        client.send(new DescribeStackSetCommand({ StackSetName: name, CallAs: callAs })),
      );
      const instances = await asking('cloudformation:ListStackInstances', async () => {
        const found: StackInstanceSummary[] = [];
        for await (const page of paginateListStackInstances({ client }, { StackSetName: name, CallAs: callAs }))
          found.push(...(page.Summaries ?? []));
        return found;
      });
      const results: SetupCheck[] = [];
      if (StackSet?.PermissionModel !== 'SERVICE_MANAGED' || StackSet.AutoDeployment?.Enabled !== true)
        results.push({
          check,
          ok: false,
          detail: `StackSet ${name} does not deploy itself to accounts that join (${StackSet?.PermissionModel ?? 'no'} permission model, automatic deployment ${StackSet?.AutoDeployment?.Enabled ? 'on' : 'off'})`,
          fix: `aws cloudformation update-stack-set --stack-set-name ${name} --use-previous-template --capabilities CAPABILITY_NAMED_IAM --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false --call-as ${callAs}`,
        });
      for (const account of accounts.filter((a) => a.Status === 'ACTIVE' && a.Id)) {
        // Service-managed StackSets never deploy to the management account (API_DeploymentTargets).
        if (account.Id === management) {
          results.push({
            check,
            ok: true,
            detail: `${account.Id} (${account.Name}) is the management account, which service-managed StackSets never reach: if it holds keys, deploy the member template there as a stack`,
          });
          continue;
        }
        const theirs = instances.filter((i) => i.Account === account.Id);
        const missing = this.options.regions.filter((region) => !theirs.some((i) => i.Region === region));
        const broken = theirs.filter((i) => !working(i));
        if (missing.length === 0 && broken.length === 0) {
          results.push({
            check,
            ok: true,
            detail: `${account.Id} (${account.Name}): member stack current in ${this.options.regions.join(', ')}`,
          });
          continue;
        }
        results.push({
          check,
          ok: false,
          detail: `${account.Id} (${account.Name}): ${[
            ...(missing.length > 0
              ? [
                  `no member stack in ${missing.join(', ')} (no forwarding rules there${missing.includes(this.options.region) ? ', and no member role' : ''})`,
                ]
              : []),
            ...broken.map(
              (i) =>
                `member stack in ${i.Region} is ${i.Status}${i.StackInstanceStatus?.DetailedStatus ? `/${i.StackInstanceStatus.DetailedStatus}` : ''}${i.StatusReason ? `: ${i.StatusReason}` : ''}`,
            ),
          ].join('; ')}`,
          fix:
            missing.length > 0
              ? `aws cloudformation create-stack-instances --stack-set-name ${name} --deployment-targets OrganizationalUnitIds=OU_OF_${account.Id} --regions ${missing.join(' ')} --call-as ${callAs}`
              : `aws cloudformation describe-stack-instance --stack-set-name ${name} --stack-instance-account ${account.Id} --stack-instance-region ${broken[0]!.Region} --call-as ${callAs}, fix the cause, then update the StackSet`,
        });
      }
      return results;
    } catch (error) {
      if (error instanceof MissingPermissionError) return [denied(check, `read StackSet ${name}`, error)];
      if (error instanceof StackSetNotFoundException)
        return [
          {
            check,
            ok: false,
            detail: `no StackSet ${name}: no member account forwards events or lets kms-warden act in it`,
            fix: 'npx kms-warden organization member-template > kms-warden-member.json, then create the StackSet (README, "Deploying to an organization")',
          },
        ];
      throw error;
    }
  }

  /**
   * A service control policy guarding kms-warden's parts in member accounts (`kms-warden organization scp`), attached
   * somewhere: without it, a member account's administrator can act through the member role unseen.
   */
  private async serviceControlPolicy(): Promise<SetupCheck> {
    const check = 'service-control-policy';
    const guarded = `kms-warden-member-${this.options.stage}`;
    const client = this.clients.organizations;
    const fix = `npx kms-warden organization scp --stage ${this.options.stage} > scp.json, then aws organizations create-policy --type SERVICE_CONTROL_POLICY --name kms-warden-${this.options.stage} --description kms-warden --content file://scp.json and attach-policy to the OUs the StackSet targets`;
    try {
      const targets = await asking('organizations:ListPolicies', async () => {
        for await (const page of paginateListPolicies({ client }, { Filter: 'SERVICE_CONTROL_POLICY' }))
          for (const summary of page.Policies ?? []) {
            const { Policy } = await client.send(new DescribePolicyCommand({ PolicyId: summary.Id }));
            if (!Policy?.Content?.includes(guarded)) continue;
            const found: PolicyTargetSummary[] = [];
            for await (const listed of paginateListTargetsForPolicy({ client }, { PolicyId: summary.Id }))
              found.push(...(listed.Targets ?? []));
            return { name: summary.Name, found };
          }
        return undefined;
      });
      if (!targets)
        return { check, ok: false, detail: `no service control policy guards ${guarded} and its forwarders`, fix };
      if (targets.found.length === 0)
        return {
          check,
          ok: false,
          detail: `service control policy ${targets.name} guards kms-warden but is attached nowhere`,
          fix,
        };
      return {
        check,
        ok: true,
        detail: `service control policy ${targets.name} guards kms-warden's member parts, attached to ${targets.found.map((t) => `${t.Type} ${t.Name ?? t.TargetId}`).join(', ')}`,
      };
    } catch (error) {
      if (error instanceof MissingPermissionError) return denied(check, 'read service control policies', error);
      throw error;
    }
  }

  /** The central stack's organization bus exists and admits the organization by aws:PrincipalOrgID. */
  private async organizationBus(organizationId: string): Promise<SetupCheck> {
    const check = 'organization-bus';
    const name = `kms-warden-${this.options.stage}-organization`;
    try {
      const { Policy } = await asking('events:DescribeEventBus', () =>
        this.clients.events.send(new DescribeEventBusCommand({ Name: name })),
      );
      if (Policy?.includes('aws:PrincipalOrgID') && Policy.includes(organizationId))
        return { check, ok: true, detail: `bus ${name} admits principals of ${organizationId}` };
      return {
        check,
        ok: false,
        detail: `bus ${name} does not admit the organization ${organizationId}: member accounts' events are refused`,
        fix: `npx serverless deploy --stage ${this.options.stage} --region ${this.options.region} --param="organization=true" --param="organizationId=${organizationId}"`,
      };
    } catch (error) {
      if (error instanceof MissingPermissionError) return denied(check, `read bus ${name}`, error);
      if (error instanceof ResourceNotFoundException)
        return {
          check,
          ok: false,
          detail: `no bus ${name} in ${this.options.region}: the central stack is not deployed in organization mode here`,
          fix: `npx serverless deploy --stage ${this.options.stage} --region ${this.options.region} --param="organization=true" --param="organizationId=${organizationId}"`,
        };
      throw error;
    }
  }

  /**
   * An organization trail: it logs every account's management events, which the member rules need. Without one each
   * account needs its own trail, which kms-warden cannot read from here.
   */
  private async organizationTrail(): Promise<SetupCheck> {
    const check = 'organization-trail';
    try {
      const { trailList = [] } = await asking('cloudtrail:DescribeTrails', () =>
        this.clients.cloudTrail.send(new DescribeTrailsCommand({ includeShadowTrails: true })),
      );
      const trail = trailList.find((t) => t.IsOrganizationTrail && t.IsMultiRegionTrail);
      if (trail)
        return {
          check,
          ok: true,
          detail: `organization trail ${trail.Name} (multi-Region) logs every account; run kms-warden doctor in its home Region ${trail.HomeRegion} for its selectors`,
        };
      return {
        check,
        ok: false,
        detail:
          'no multi-Region organization trail: each account and Region needs a trail recording management events, which kms-warden cannot check from here',
        fix: 'aws cloudtrail create-trail --name kms-warden-organization --s3-bucket-name BUCKET --is-organization-trail --is-multi-region-trail (from the management account or a CloudTrail delegated administrator), then start-logging',
      };
    } catch (error) {
      if (error instanceof MissingPermissionError) return denied(check, 'list trails', error);
      throw error;
    }
  }
}
