import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { CreateAccountCommand, CreateOrganizationCommand, OrganizationsClient } from '@aws-sdk/client-organizations';
import {
  CreateAccessKeyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  IAMClient,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { startMotoServer, type MotoServer } from '../../../src/local/moto-server';
import type { ResponderStack } from '../../../src/local/responder-stack';
import { Emulator, type Credentials } from './emulator';
import {
  functionRolesOf,
  motoProjection,
  refsFor,
  resolvedPolicies,
  stackIdentityEnvironment,
  type FunctionName,
  type FunctionRole,
  type StackRefs,
} from './function-roles';
import { everything } from './identities';
import { packagedTemplate, resolveIntrinsics, testStage, type Json, type Pseudo } from './packaged-template';
import type { Caller, PolicyDocument } from './policy-evaluation';
import { StrictAwsProxy } from './proxy';

export const testAccount = '123456789012';
const pseudo: Pseudo = { partition: 'aws', region: 'us-east-1', account: testAccount };
const adminName = 'kms-warden-test-admin';
export const adminArn = `arn:aws:iam::${testAccount}:user/${adminName}`;

/** The environment a function's code gets in Lambda besides its settings: its identity and name. */
// Not AWS_LAMBDA_FUNCTION_NAME: the approvals function would hand Slack presses to itself through Lambda, which the
// tests do not deploy (they decide presses at once, as a local run does).
const identityVariables = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'RESPONDER_ROLE_ARNS',
  'ACCOUNT_ID',
  'MEMBER_ROLE',
  'MEMBER_EXTERNAL_ID',
] as const;

/** An account of the organization a test made, with its administrator (an IAM user allowed everything there). */
export interface MemberAccount {
  account: string;
  name: string;
  admin: Credentials;
}

export interface OrganizationMade {
  id: string;
  /** The test's own account, where kms-warden runs: the organization's management account. */
  management: string;
  members: MemberAccount[];
}

/** Organization mode's serverless params, as the tests package the template with them. */
export const organizationParams = ['organization=true', 'organizationId=o-kmswardentest'] as const;

/** Requests made as `account` before IAM is enforced: moto reads the account from this header (core/responses.py). */
const inAccount = <C extends { middlewareStack: IAMClient['middlewareStack'] }>(client: C, account: string): C => {
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = account;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return client;
};

/**
 * moto behind the strict-AWS layer, with IAM enforced: the test runs as an administrator user, and each function's
 * code runs with a session of its own role, made from the packaged template. See proxy.ts for what the layer adds.
 */
export class StrictAws {
  private readonly sessions = new Map<FunctionName, Credentials>();
  private roles?: Record<FunctionName, FunctionRole>;
  private refs: StackRefs = {};
  private stack: ResponderStack | undefined;
  private standIns = 0;
  /** The organization the test asked for (StrictAws.start's option), made at start. */
  organization?: OrganizationMade;

  private constructor(
    readonly moto: MotoServer,
    readonly proxy: StrictAwsProxy,
    private adminCredentials: Credentials,
    /** The serverless params the functions' roles are packaged with. */
    private readonly templateParams: readonly string[] = [],
  ) {}

  get admin() {
    return this.adminCredentials;
  }

  get emulator() {
    return this.proxy.emulator;
  }

  /** Makes the administrator the test acts as, then has moto enforce IAM for every request after. */
  private static async bootstrap(moto: MotoServer): Promise<Credentials> {
    const bootstrap = new IAMClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' },
    });
    await bootstrap.send(new CreateUserCommand({ UserName: adminName }));
    await bootstrap.send(
      new PutUserPolicyCommand({
        UserName: adminName,
        PolicyName: 'everything',
        PolicyDocument: JSON.stringify(everything),
      }),
    );
    const { AccessKey } = await bootstrap.send(new CreateAccessKeyCommand({ UserName: adminName }));
    bootstrap.destroy();
    // From here on every request must be signed by an identity moto knows, and is checked against its policies
    // (moto's "IAM-like access control": https://docs.getmoto.org/en/latest/docs/iam.html).
    const enforced = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: '0' });
    if (!enforced.ok) throw new Error(`moto refused to enforce IAM: ${enforced.status}`);
    return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  }

  /**
   * An organization whose management account is the test's own (where kms-warden runs), with a member account per
   * name, each with an administrator: made before IAM is enforced, as the bootstrap administrator.
   */
  private static async makeOrganization(moto: MotoServer, names: readonly string[]) {
    const settings = {
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'bootstrap', secretAccessKey: 'bootstrap' },
    };
    const organizations = new OrganizationsClient(settings);
    const { Organization } = await organizations.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' }));
    const members: MemberAccount[] = [];
    for (const name of names) {
      const { CreateAccountStatus } = await organizations.send(
        new CreateAccountCommand({ AccountName: name, Email: `${name}@example.com` }),
      );
      const account = CreateAccountStatus!.AccountId!;
      const iam = inAccount(new IAMClient(settings), account);
      await iam.send(new CreateUserCommand({ UserName: adminName }));
      await iam.send(
        new PutUserPolicyCommand({
          UserName: adminName,
          PolicyName: 'everything',
          PolicyDocument: JSON.stringify(everything),
        }),
      );
      const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: adminName }));
      iam.destroy();
      members.push({
        account,
        name,
        admin: { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! },
      });
    }
    organizations.destroy();
    return { id: Organization!.Id!, management: testAccount, members };
  }

  /**
   * `organization`: the names of member accounts to make, in an organization whose management account is the test's
   * own; the functions' roles are then organization mode's.
   */
  static async start(options: { organization?: readonly string[] } = {}): Promise<StrictAws> {
    const moto = await startMotoServer();
    try {
      const organization = options.organization
        ? await StrictAws.makeOrganization(moto, options.organization)
        : undefined;
      const admin = await StrictAws.bootstrap(moto);
      const proxy = new StrictAwsProxy(new Emulator(moto.endpoint, admin, testAccount));
      await proxy.start();
      const aws = new StrictAws(moto, proxy, admin, organization ? organizationParams : []);
      aws.registerAdmin();
      if (organization) {
        aws.organization = organization;
        proxy.organization = {
          id: organization.id,
          management: organization.management,
          accounts: new Set([organization.management, ...organization.members.map((m) => m.account)]),
          delegatedAdministrators: new Set(),
        };
        for (const member of organization.members) {
          proxy.addAccount(new Emulator(moto.endpoint, member.admin, member.account));
          const arn = `arn:aws:iam::${member.account}:user/${adminName}`;
          proxy.identities.add(member.admin.accessKeyId, {
            kind: 'admin',
            caller: { kind: 'user', account: member.account, partition: 'aws', arn, principalArn: arn },
          });
        }
      }
      return aws;
    } catch (error) {
      await moto.stop();
      throw error;
    }
  }

  private registerAdmin() {
    this.proxy.identities.add(this.admin.accessKeyId, {
      kind: 'admin',
      caller: { kind: 'user', account: testAccount, partition: 'aws', arn: adminArn, principalArn: adminArn },
    });
  }

  /**
   * Empties the emulator (moto's reset) and makes the administrator again: its new credentials go into the
   * environment; function roles are made again when next used.
   */
  async reset(): Promise<void> {
    if (this.organization) throw new Error('a test with an organization cannot reset the emulator: start another');
    await fetch(`${this.moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: 'inf' });
    await fetch(`${this.moto.endpoint}/moto-api/reset`, { method: 'POST' });
    this.adminCredentials = await StrictAws.bootstrap(this.moto);
    this.proxy.resetWith(new Emulator(this.moto.endpoint, this.admin, testAccount));
    this.registerAdmin();
    this.sessions.clear();
    Object.assign(process.env, this.environment());
  }

  get endpoint() {
    return this.proxy.endpoint;
  }

  /** The process environment of the test itself: the administrator, through the layer. */
  environment() {
    return {
      AWS_ENDPOINT_URL: this.proxy.endpoint,
      AWS_REGION: pseudo.region,
      AWS_ACCESS_KEY_ID: this.admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.admin.secretAccessKey,
    };
  }

  /** The stack the functions' roles refer to: its table, topic and queue, and whatever else the test made. */
  useStack(stack: ResponderStack | undefined, refs: StackRefs = {}) {
    this.stack = stack;
    this.refs = { ...this.refs, ...refs };
  }

  /**
   * Runs `load` (an import of a handler, or a composition root) with the function's identity in the environment:
   * the clients it builds sign as a session of the function's role (src/aws/clients.ts fixes a client's identity
   * when it is built). Everything the loaded code does later keeps that identity.
   */
  async asFunction<T>(name: FunctionName, load: () => T | Promise<T>): Promise<T> {
    const session = await this.sessionOf(name);
    const saved = Object.fromEntries(identityVariables.map((variable) => [variable, process.env[variable]]));
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: session.accessKeyId,
      AWS_SECRET_ACCESS_KEY: session.secretAccessKey,
      AWS_SESSION_TOKEN: session.sessionToken,
      ...stackIdentityEnvironment(pseudo, this.template()),
    });
    try {
      return await load();
    } finally {
      for (const [variable, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[variable];
        else process.env[variable] = value;
      }
    }
  }

  /** kms-warden's own role ARNs, as the template gives them to every function (RESPONDER_ROLE_ARNS). */
  get responderRoles(): string[] {
    return stackIdentityEnvironment(pseudo, this.template()).RESPONDER_ROLE_ARNS.split(',');
  }

  /** The ARN of a function's role, as the responder sees its own calls in CloudTrail. */
  roleArnOf(name: FunctionName) {
    const role = this.rolesOf()[name];
    return `arn:aws:iam::${testAccount}:role${role.path}${role.roleName}`;
  }

  private rolesOf() {
    return (this.roles ??= functionRolesOf(pseudo, this.template()));
  }

  private template() {
    return packagedTemplate(this.templateParams);
  }

  /** SDK client settings to act as a member account's administrator, through the layer. */
  memberClient(account: string) {
    const member = this.organization?.members.find((m) => m.account === account);
    if (!member) throw new Error(`no member account ${account} in the test's organization`);
    return { endpoint: this.proxy.endpoint, region: pseudo.region, credentials: member.admin };
  }

  /**
   * The member template's role in a member account, as the StackSet would make it: its trust policy as written, its
   * policies kept by the layer (moto holds their projection), given the organization and external id the test's
   * functions are deployed with.
   */
  async deployMemberRole(account: string, member: Json) {
    const organization = this.organization!;
    const { MEMBER_EXTERNAL_ID: externalId } = stackIdentityEnvironment(pseudo, this.template());
    const parameters: Record<string, string> = {
      Stage: testStage,
      CentralAccountId: testAccount,
      CentralRegion: pseudo.region,
      OrganizationId: organization.id,
      ExternalId: externalId,
    };
    const written = member.Resources.MemberRole.Properties;
    // The break-glass deny is a condition on a parameter the tests leave empty (BreakGlassPrincipals): not made.
    const role = {
      ...written,
      // Likewise the operators' trust (OperatorRoleArns, left empty).
      AssumeRolePolicyDocument: {
        ...written.AssumeRolePolicyDocument,
        Statement: [written.AssumeRolePolicyDocument.Statement]
          .flat()
          .filter((statement: Json) => !('Fn::If' in statement)),
      },
      Policies: (written.Policies as Array<{ PolicyDocument: Json }>).map(({ PolicyDocument, ...rest }) => ({
        ...rest,
        PolicyDocument: {
          ...PolicyDocument,
          Statement: [PolicyDocument.Statement].flat().filter((statement: Json) => !('Fn::If' in statement)),
        },
      })),
    };
    const resolved = resolveIntrinsics(role, (name) => parameters[name], { ...pseudo, account });
    const policies = (resolved.Policies as Array<{ PolicyDocument: PolicyDocument }>).map(
      ({ PolicyDocument }) => PolicyDocument,
    );
    const iam = this.proxy.emulatorOf(account).iam;
    const { Role } = await iam.send(
      new CreateRoleCommand({
        RoleName: resolved.RoleName,
        Path: resolved.Path,
        AssumeRolePolicyDocument: JSON.stringify(resolved.AssumeRolePolicyDocument),
        MaxSessionDuration: resolved.MaxSessionDuration,
      }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: resolved.RoleName,
        PolicyName: 'moto-enforced-actions',
        PolicyDocument: JSON.stringify(motoProjection(policies)),
      }),
    );
    this.proxy.rolePolicies.set(Role!.Arn!, policies);
    return Role!.Arn!;
  }

  private async sessionOf(name: FunctionName): Promise<Credentials> {
    const role = this.rolesOf()[name];
    const policies = resolvedPolicies(role, refsFor(pseudo, this.stack, this.refs), pseudo);
    let session = this.sessions.get(name);
    if (!session) {
      const iam = this.emulator.iam;
      // The test administrator plays Lambda in assuming it (the template trusts lambda.amazonaws.com, which moto's
      // trust check cannot evaluate: it fails on any principal that is not an AWS one).
      const trust = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { AWS: adminArn }, Action: 'sts:AssumeRole' }],
      };
      await iam.send(
        new CreateRoleCommand({
          RoleName: role.roleName,
          Path: role.path,
          AssumeRolePolicyDocument: JSON.stringify(trust),
        }),
      );
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: role.roleName,
          PolicyName: 'moto-enforced-actions',
          PolicyDocument: JSON.stringify(motoProjection(policies)),
        }),
      );
      const sts = new STSClient({ endpoint: this.moto.endpoint, region: pseudo.region, credentials: this.admin });
      const { Credentials: issued } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: this.roleArnOf(name),
          RoleSessionName: role.deployedName,
          DurationSeconds: 43_200,
        }),
      );
      sts.destroy();
      session = {
        accessKeyId: issued!.AccessKeyId!,
        secretAccessKey: issued!.SecretAccessKey!,
        sessionToken: issued!.SessionToken!,
      };
      this.sessions.set(name, session);
    }
    this.proxy.identities.add(session.accessKeyId, {
      kind: 'function',
      functionName: name,
      policies,
      caller: {
        kind: 'assumed-role',
        account: testAccount,
        partition: 'aws',
        arn: `arn:aws:sts::${testAccount}:assumed-role/${role.roleName}/${role.deployedName}`,
        principalArn: this.roleArnOf(name),
        tokenIssueTime: new Date().toISOString(),
      },
    });
    return session;
  }

  /**
   * Credentials for a session of an existing role, as a scenario's actor (an attacker with a stolen session, an
   * administrator). The layer evaluates the role's policies as stored, with the session's issue time; moto sees a
   * stand-in user. `issuedAt` defaults to now.
   */
  async sessionOfRole(
    roleName: string,
    sessionName: string,
    issuedAt = new Date(),
  ): Promise<Credentials & { arn: string }> {
    const role = await this.emulator.role(roleName);
    if (!role) throw new Error(`no role ${roleName} in the emulator`);
    const caller: Caller = {
      kind: 'assumed-role',
      account: testAccount,
      partition: 'aws',
      arn: `arn:aws:sts::${testAccount}:assumed-role/${roleName}/${sessionName}`,
      principalArn: role.Arn!,
      tokenIssueTime: issuedAt.toISOString(),
    };
    const credentials = await this.standIn();
    this.proxy.identities.add(credentials.accessKeyId, { kind: 'principal', caller, roleName });
    return { ...credentials, arn: caller.arn };
  }

  /** Long-term credentials of an IAM user: a real access key of the user, which the layer refuses once deactivated. */
  async accessKeyOfUser(userName: string): Promise<Credentials & { userAccessKeyId: string }> {
    const user = await this.emulator.user(userName);
    if (!user) throw new Error(`no user ${userName} in the emulator`);
    const { AccessKey } = await this.emulator.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    const caller: Caller = {
      kind: 'user',
      account: testAccount,
      partition: 'aws',
      arn: user.Arn!,
      principalArn: user.Arn!,
    };
    const credentials = await this.standIn();
    this.proxy.identities.add(credentials.accessKeyId, {
      kind: 'principal',
      caller,
      user: { name: userName, accessKeyId: AccessKey!.AccessKeyId! },
    });
    return { ...credentials, userAccessKeyId: AccessKey!.AccessKeyId! };
  }

  /** A user moto lets do anything: it signs for an actor the layer alone evaluates. */
  private async standIn(): Promise<Credentials> {
    const name = `kms-warden-test-stand-in-${(this.standIns += 1)}`;
    await this.emulator.iam.send(new CreateUserCommand({ UserName: name, Path: '/kms-warden-test-stand-ins/' }));
    await this.emulator.iam.send(
      new PutUserPolicyCommand({
        UserName: name,
        PolicyName: 'everything',
        PolicyDocument: JSON.stringify(everything),
      }),
    );
    const { AccessKey } = await this.emulator.iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: AccessKey!.AccessKeyId!, secretAccessKey: AccessKey!.SecretAccessKey! };
  }

  async stop() {
    await this.proxy.stop();
    await this.moto.stop();
  }
}
