import { memberTemplateOfRepository } from './member-template-source';
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CreateEventBusCommand, EventBridgeClient, PutPermissionCommand } from '@aws-sdk/client-eventbridge';
import { CreateRoleCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSClient,
  ListGrantsCommand,
  ListKeysCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { approvalRoute } from '../approvals/route';
import { rekeyDepsOfRun } from '../composition/rekey';
import { isActive } from '../incidents/lifecycle';
import { renderRekeyProgress } from '../notify/rekey-progress';
import { LocalRekeyWorkflow } from './local-rekey-workflow';
import { demoApprovalDeps, demoIncidentStore } from '../composition/local-demo';
import { loadConfig } from '../config';
import type { CloudTrailRecord } from '../events/cloudtrail-record';
import { accountOfKey, accountOfPrincipal } from '../events/accounts';
import type { Incident } from '../incidents/incident';
import { decisionLinks } from '../notify/decision-links';
import { serveDemoApprovals } from './approval-server';
import { kmsApiCallRecord, type Caller } from './cloudtrail-records';
import { LocalEventRouter } from './event-router';
import { localLambdaContext } from './lambda-context';
import { provisionResponderStack, responderEnvironment, subscribeInbox } from './responder-stack';

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ status: string; incidents?: Array<{ id: string; status: string; duplicate?: boolean }> }>;
type Say = (step: string, text: string, data?: Record<string, unknown>) => void;

/** The account the emulator's default credentials sign as: the central account, the organization's management one. */
const central = '123456789012';
const outsider = 'arn:aws:iam::999988887777:role/exfil';
const externalId = 'kms-warden-demo-external-id';

const region = () => process.env.AWS_REGION ?? 'us-east-1';

/**
 * An administrator's session in a member account: Organizations makes OrganizationAccountAccessRole in every account
 * it creates, and the management account assumes it (moto issues the session without the role).
 */
const adminOf = async (account: string) => {
  const { Credentials } = await new STSClient({}).send(
    new AssumeRoleCommand({
      RoleArn: `arn:aws:iam::${account}:role/OrganizationAccountAccessRole`,
      RoleSessionName: 'demo-administrator',
    }),
  );
  return {
    region: region(),
    credentials: {
      accessKeyId: Credentials!.AccessKeyId!,
      secretAccessKey: Credentials!.SecretAccessKey!,
      sessionToken: Credentials!.SessionToken!,
    },
  };
};

const trustingAccount = (account: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }],
  });

/** Which account each applied step (and each decision carried out) changed, from the incidents' records. */
const changesByAccount = (incidents: Incident[]): Map<string, string[]> => {
  const changes = new Map<string, string[]>();
  const note = (account: string | undefined, what: string) => {
    if (!account) return;
    changes.set(account, [...(changes.get(account) ?? []), what]);
  };
  for (const incident of incidents)
    incident.plan.forEach((step, index) => {
      if (incident.results?.[index]?.outcome !== 'applied') return;
      const params = step.params as { keyArn?: string; principalArn?: string };
      const account =
        step.type === 'quarantine-principal'
          ? accountOfPrincipal(params.principalArn ?? '')
          : params.keyArn
            ? accountOfKey(params.keyArn)
            : undefined;
      note(account, step.type);
    });
  return changes;
};

/**
 * `kms-warden local --scenario organization`: an organization of three accounts in the emulator (the central one,
 * "payments", "analytics"); the member template deployed to the two members with CloudFormation, as the StackSet
 * would; an attack in payments forwarded by its rules to the central organization bus and contained there through the
 * member role; a GuardDuty finding about a role of analytics quarantined in analytics. Then a person's decisions, by
 * their links (pressed by the demo with --auto-approve): disable the key, re-key it (in payments, through the member
 * role), delete the old one. The last line says which account each change was made in.
 */
export const runOrganizationDemo = async (options: {
  autoApprove: boolean;
  say: Say;
}): Promise<{ incidentId: string; keyState: string; failed?: boolean }> => {
  const { say } = options;
  const stage = `org${Date.now().toString(36)}`;
  const approvals = await serveDemoApprovals(stage);
  try {
    const organizations = new OrganizationsClient({ region: region() });
    const { Organization } = await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const members: Record<'payments' | 'analytics', string> = { payments: '', analytics: '' };
    for (const name of ['payments', 'analytics'] as const) {
      const { CreateAccountStatus } = await organizations.send(
        new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }),
      );
      members[name] = CreateAccountStatus!.AccountId!;
    }
    say(
      'organization',
      `Organization ${Organization!.Id}: central ${central} (management), payments ${members.payments}, analytics ${members.analytics}`,
      { organizationId: Organization!.Id, central, members },
    );

    // The central stack, organization mode: its table, topic and queue, the organization bus and its rules.
    const stack = await provisionResponderStack(stage);
    Object.assign(process.env, responderEnvironment(stack), {
      APPROVAL_SECRET_ARN: approvals.secretArn,
      APPROVALS_URL: approvals.url,
      ACCOUNT_ID: central,
      MEMBER_ROLE: `/kms-warden/kms-warden-member-${stage}`,
      MEMBER_EXTERNAL_ID: externalId,
      // A demo cannot wait an hour for the old key to settle.
      REKEY_SETTLE_MINUTES: '0',
    });
    const busName = `kms-warden-${stage}-organization`;
    const events = new EventBridgeClient({});
    await events.send(new CreateEventBusCommand({ Name: busName }));
    await events.send(
      new PutPermissionCommand({
        EventBusName: busName,
        StatementId: 'organization-accounts-put-events',
        Action: 'events:PutEvents',
        Principal: '*',
        Condition: { Type: 'StringEquals', Key: 'aws:PrincipalOrgID', Value: Organization!.Id! },
      }),
    );
    const router = await LocalEventRouter.create(stage, busName);
    await subscribeInbox(stack.notificationTopicArn, `${stage}-on-call-inbox`);
    say('stack', `Central stack (stage ${stage}, organization mode) with the organization bus ${busName}`, {
      stack,
      bus: busName,
    });

    // The member template, as the StackSet deploys it to every member account.
    const template = memberTemplateOfRepository();
    const clients: Record<string, Awaited<ReturnType<typeof adminOf>>> = {};
    for (const [name, account] of Object.entries(members)) {
      const admin = (clients[account] = await adminOf(account));
      const cloudformation = new CloudFormationClient(admin);
      await cloudformation.send(
        new CreateStackCommand({
          StackName: `kms-warden-member-${stage}`,
          TemplateBody: JSON.stringify(template),
          Capabilities: ['CAPABILITY_NAMED_IAM'],
          Parameters: Object.entries({
            Stage: stage,
            CentralAccountId: central,
            CentralRegion: region(),
            OrganizationId: Organization!.Id!,
            ExternalId: externalId,
          }).map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        }),
      );
      const { Stacks = [] } = await cloudformation.send(
        new DescribeStacksCommand({ StackName: `kms-warden-member-${stage}` }),
      );
      say(
        'member',
        `Member template in ${name} (${account}): ${Stacks[0]?.StackStatus}, member role ${Stacks[0]?.Outputs?.find((o) => o.OutputKey === 'MemberRoleArn')?.OutputValue}`,
        { account, name, status: Stacks[0]?.StackStatus },
      );
    }

    // Payments: a key, the role the attacker stole; analytics: a role that reads payments' exports, and a worker.
    const inPayments = clients[members.payments]!;
    const inAnalytics = clients[members.analytics]!;
    const kms = new KMSClient(inPayments);
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({
        Description: 'payments: card tokens and ledger exports',
        // Its owners want it disabled when attacked, but by a person: a protected key is never disabled on its own.
        Tags: [
          { TagKey: 'team', TagValue: 'payments' },
          { TagKey: 'kms-warden:mode', TagValue: 'lockdown' },
          { TagKey: 'kms-warden:protected', TagValue: 'true' },
        ],
      }),
    );
    const keyArn = KeyMetadata!.Arn!;
    const keyId = KeyMetadata!.KeyId!;
    await kms.send(new CreateAliasCommand({ AliasName: `alias/${stage}-payments`, TargetKeyId: keyId }));
    await new SecretsManagerClient(inPayments).send(
      new CreateSecretCommand({
        Name: `${stage}/payments/db`,
        SecretString: 'correct horse battery staple',
        KmsKeyId: keyArn,
      }),
    );
    await new IAMClient(inPayments).send(
      new CreateRoleCommand({ RoleName: 'ci-deployer', AssumeRolePolicyDocument: trustingAccount(members.payments) }),
    );
    for (const role of ['reporting', 'etl-worker'])
      await new IAMClient(inAnalytics).send(
        new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: trustingAccount(members.analytics) }),
      );
    say('key', `Created the payments key ${keyArn} in payments, protecting a secret there`, { keyArn });

    /* eslint-disable @typescript-eslint/no-require-imports -- loaded once the settings are in place, as in Lambda */
    const handlers = {
      kms: (require('../../handlers/on-kms-api-call') as { handler: Handler }).handler,
      findings: (require('../../handlers/on-security-finding') as { handler: Handler }).handler,
    };
    /* eslint-enable @typescript-eslint/no-require-imports */
    const incidentIds = new Set<string>();
    /** Events put on a member's own bus: its forwarding rules carry them to the central bus and its rules. */
    const play = async (
      step: string,
      text: string,
      from: string,
      entries: Array<{ source: string; detailType: string; detail: object }>,
    ) => {
      const routed = await router.route(entries, new EventBridgeClient(clients[from]!));
      const incidents = new Map<string, string>();
      for (const { fn, event, stream } of routed) {
        if (stream) continue;
        const outcome = await (fn === 'onSecurityFinding' ? handlers.findings : handlers.kms)(
          event,
          localLambdaContext(`kms-warden-${stage}-${fn}`),
        );
        for (const incident of outcome.incidents ?? []) incidents.set(incident.id, incident.status);
      }
      for (const id of incidents.keys()) incidentIds.add(id);
      const found = [...incidents].map(([id, status]) => `${id} (${status})`);
      say(
        step,
        `${text}: ${entries.length} event${entries.length === 1 ? '' : 's'} put on ${from}'s bus, ${routed.length} forwarded to the central bus; ${found.length > 0 ? `incidents ${found.join(', ')}` : 'no incident'}`,
        { from, routed: routed.length, incidents: Object.fromEntries(incidents) },
      );
      return [...incidents.keys()];
    };
    const cloudTrail = (record: CloudTrailRecord) => ({
      source: 'aws.kms',
      detailType: 'AWS API Call via CloudTrail',
      detail: record,
    });
    const attacker: Caller = {
      roleArn: `arn:aws:iam::${members.payments}:role/ci-deployer`,
      sessionName: 'mallory',
      sourceIp: '203.0.113.77',
    };
    const grant = async (grantee: string) => {
      const { GrantId } = await kms.send(
        new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: grantee, Operations: ['Decrypt'] }),
      );
      return cloudTrail(
        kmsApiCallRecord({
          eventName: 'CreateGrant',
          keyArn,
          caller: attacker,
          requestParameters: { keyId: keyArn, granteePrincipal: grantee, operations: ['Decrypt'] },
          responseElements: { grantId: GrantId, keyId: keyArn },
        }),
      );
    };

    const reporting = `arn:aws:iam::${members.analytics}:role/reporting`;
    await play('member-grant', `payments: ci-deployer lets analytics' reporting role decrypt`, members.payments, [
      await grant(reporting),
    ]);
    await play('grant', `Attack in payments: a grant letting ${outsider} decrypt`, members.payments, [
      await grant(outsider),
    ]);
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    const [incidentId = 'none'] = await play(
      'attack',
      'Attack in payments: the key scheduled for deletion in 7 days',
      members.payments,
      [
        cloudTrail(
          kmsApiCallRecord({
            eventName: 'ScheduleKeyDeletion',
            keyArn,
            caller: attacker,
            requestParameters: { keyId, pendingWindowInDays: 7 },
            responseElements: {
              keyId: keyArn,
              keyState: 'PendingDeletion',
              deletionDate: scheduled.DeletionDate?.toISOString(),
              pendingWindowInDays: 7,
            },
          }),
        ),
      ],
    );
    // GuardDuty publishes a member's findings in the member account too; its rule forwards them.
    await play('finding', "GuardDuty in analytics: etl-worker's credentials used from outside AWS", members.analytics, [
      {
        source: 'aws.guardduty',
        detailType: 'GuardDuty Finding',
        detail: {
          schemaVersion: '2.0',
          accountId: members.analytics,
          region: region(),
          id: `${stage}-etl-worker-exfiltration`,
          type: 'UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS',
          severity: 8,
          createdAt: new Date().toISOString(),
          updatedAt: new Date().toISOString(),
          resource: {
            resourceType: 'AccessKey',
            accessKeyDetails: {
              accessKeyId: 'ASIADEMOETLWORKER001',
              principalId: 'AROADEMOETLWORKER:i-0abc',
              userName: 'etl-worker',
              userType: 'AssumedRole',
            },
          },
          service: { count: 1, additionalInfo: {} },
        },
      },
    ]);

    const after = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
    const grantees = ((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants ?? []).map(
      (g) => g.GranteePrincipal,
    );
    const quarantined = async (admin: typeof inPayments, role: string) =>
      ((await new IAMClient(admin).send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames ?? []).includes(
        'KmsWardenQuarantine',
      );
    const centralKeys = (await new KMSClient({}).send(new ListKeysCommand({}))).Keys ?? [];
    const response = {
      keyState: after.KeyState,
      outsiderGrant: grantees.includes(outsider),
      memberGrant: grantees.includes(reporting),
      ciDeployerQuarantined: await quarantined(inPayments, 'ci-deployer'),
      etlWorkerQuarantined: await quarantined(inAnalytics, 'etl-worker'),
      centralKeys: centralKeys.length,
    };
    say(
      'response',
      `kms-warden responded from the central account: the payments key is ${after.KeyState}; ` +
        `the grant to ${outsider} is ${response.outsiderGrant ? 'still there' : 'revoked'}, analytics' grant ${response.memberGrant ? 'kept' : 'gone'}; ` +
        `ci-deployer ${response.ciDeployerQuarantined ? 'quarantined in payments' : 'not quarantined'}; ` +
        `etl-worker ${response.etlWorkerQuarantined ? 'quarantined in analytics' : 'not quarantined'}`,
      response,
    );

    // A person's decision, by its link: disabling the key, carried out in payments.
    const config = loadConfig();
    // Re-keying the payments key runs in payments, through the member role (the re-key step's own composition).
    const workflow = new LocalRekeyWorkflow(await rekeyDepsOfRun(config)(incidentId), {
      timeScale: 0.0001,
      onState: (_id, state) => say('rekey-state', `re-key workflow: ${state}`, { state }),
    });
    const deps = demoApprovalDeps(config, workflow);
    approvals.answerWith(approvalRoute(deps));
    const linkFor = async (id: string, action: string) =>
      (
        await decisionLinks(
          (await deps.incidents.get(id))!,
          { baseUrl: approvals.url, secret: deps.secret, ttlSeconds: 3600 },
          new Date(),
        )
      ).find((l) => l.action === action);
    /** A person's decision by its link: pressed by the demo with --auto-approve, else awaited. */
    const decide = async (id: string, action: string, what: string): Promise<boolean> => {
      const link = await linkFor(id, action);
      if (!link) return false;
      say('approval', `${what}: ${link.url}`, { action, url: link.url });
      if (options.autoApprove) {
        await fetch(link.url);
        const reply = await fetch(link.url, { method: 'POST' });
        say('decided', `${action}: HTTP ${reply.status}`, { action, status: reply.status });
        if (reply.status !== 200) throw new Error(`the ${action} link answered HTTP ${reply.status}`);
        return true;
      }
      say('waiting', 'Open the link in a browser and press the button; the demo goes on when you have.');
      for (;;) {
        const now = (await deps.incidents.get(id))!;
        if ((now.decisions ?? []).some((d) => d.action === action)) return true;
        if (!isActive(now.status)) return false;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    // The key is protected: containment offered disabling it (the outside grant's incident) for a person to approve.
    let disabled = false;
    for (const id of incidentIds) {
      if (!(await linkFor(id, 'disable-key'))) continue;
      disabled = await decide(id, 'disable-key', 'Disable the payments key');
      break;
    }
    // Then re-keying the key the attacker tried to delete, in payments; and the old key's deletion, asked again.
    let rekeyed: Incident | undefined;
    if (await decide(incidentId, 'approve-rekey', 'Approve re-keying the payments key')) {
      for (let waited = 0; waited < 120_000; waited += 50) {
        rekeyed = await deps.incidents.get(incidentId);
        if (rekeyed?.rekey?.deletionRequestedAt || rekeyed?.rekey?.failure) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (rekeyed?.rekey?.failure) throw new Error(`re-keying failed: ${JSON.stringify(rekeyed.rekey.failure)}`);
      if (!rekeyed?.rekey?.deletionRequestedAt)
        throw new Error(`re-keying ${incidentId} did not get to its deletion approval in two minutes`);
      for (const line of renderRekeyProgress(rekeyed!, { tty: false })) say('rekey', line);
      if (await decide(incidentId, 'approve-deletion', "Approve deleting the payments key's old key"))
        await workflow.finished(incidentId);
    }
    const finalState = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState ?? 'Unknown';
    const replacement = (await deps.incidents.get(incidentId))?.rekey?.replacementKeyArn;

    const incidents = (
      await Promise.all([...incidentIds].map((id) => demoIncidentStore(stack.incidentTable).get(id)))
    ).filter((i): i is Incident => i !== undefined);
    const changes = changesByAccount(incidents);
    const decided = [
      ...(disabled ? ['disable-key (decided)'] : []),
      ...(replacement ? [`re-keyed onto ${replacement}`] : []),
      ...(finalState === 'PendingDeletion' ? ['old key scheduled for deletion (decided)'] : []),
    ];
    changes.set(members.payments, [...(changes.get(members.payments) ?? []), ...decided]);
    const names: Record<string, string> = {
      [central]: 'central',
      [members.payments]: 'payments',
      [members.analytics]: 'analytics',
    };
    const byAccount = Object.fromEntries(Object.keys(names).map((account) => [account, changes.get(account) ?? []]));
    say(
      'done',
      `Changes made, by account: ${Object.entries(byAccount)
        .map(([account, made]) => `${names[account]} ${account}: ${made.length > 0 ? made.join(', ') : 'nothing'}`)
        .join('; ')}. The payments key is ${finalState}.`,
      {
        changes: byAccount,
        keyState: finalState,
        replacementKeyArn: replacement ?? null,
        incidents: incidents.map((i) => ({
          id: i.id,
          status: i.status,
          account: i.signal.source.accountId,
          accountName: i.accountName,
        })),
      },
    );
    return { incidentId, keyState: finalState };
  } finally {
    await approvals.close();
  }
};
