import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ruleTargets } from '../../../src/local/rule-targets';
import { projectRoot } from '../../../src/local/stack-definition';
import { memberIamActions } from '../../../src/organization/member-template';
import { centralOnlyRekeySids } from '../../../src/organization/rekey-statements';
import { memberTemplateOfRepository } from '../../../src/local/member-template-source';
import {
  packagedTemplate,
  resolveIntrinsics,
  testStage,
  type CfnTemplate,
  type Json,
} from '../../support/strict-aws/packaged-template';

const readPattern = (file: string) => JSON.parse(readFileSync(join(projectRoot, 'rules', file), 'utf8')) as Json;
const member = memberTemplateOfRepository() as {
  Resources: Record<string, Json>;
  Parameters: Record<string, Json>;
};
const central: CfnTemplate = packagedTemplate(['organization=true', 'organizationId=o-abcdefghij']);
const pseudo = { partition: 'aws', region: 'eu-west-1', account: '111122223333' };

/** The member template's parameters as a StackSet would be given them, for this central stack. */
const memberParameters: Record<string, string> = {
  Stage: testStage,
  CentralAccountId: pseudo.account,
  CentralRegion: pseudo.region,
  OrganizationId: 'o-abcdefghij',
  ExternalId: `kms-warden-${testStage}`,
};
const resolveMember = (node: Json) =>
  resolveIntrinsics(node, (name) => memberParameters[name], { ...pseudo, account: '222233334444' });

const statementsOf = (document: Json): Json[] => [document.Statement].flat();
const actionsOf = (statement: Json): string[] => [statement.Action].flat();
const kmsAndIam = (actions: string[]) => actions.filter((a) => a.startsWith('kms:') || a.startsWith('iam:'));

/** The central roles that act in member accounts: those allowed to assume the member role. */
const centralActingRoles = Object.values(central.Resources).filter(
  (resource) =>
    resource.Type === 'AWS::IAM::Role' &&
    (resource.Properties.Policies ?? []).some((policy: Json) =>
      statementsOf(policy.PolicyDocument).some((s) => actionsOf(s).includes('sts:AssumeRole')),
    ),
);

describe('the member template', () => {
  it('forwards every rule file to the central bus, with the same pattern and state as the central rules', () => {
    const forwarded = Object.values(member.Resources).filter((r) => r.Type === 'AWS::Events::Rule');
    expect(forwarded).toHaveLength(ruleTargets.length);
    for (const { file, state } of ruleTargets) {
      const rule = forwarded.find((r) => r.Properties.Description.includes(`rules/${file}`));
      expect(rule?.Properties.EventPattern).toEqual(readPattern(file));
      expect(rule?.Properties.State).toBe(state);
      expect(rule?.Properties.Targets).toEqual([
        { Id: 'kms-warden-central', Arn: expect.anything(), RoleArn: { 'Fn::GetAtt': ['ForwarderRole', 'Arn'] } },
      ]);
    }
  });

  it("targets the central stack's organization bus, which admits the organization only", () => {
    const bus = Object.values(central.Resources).find((r) => r.Type === 'AWS::Events::EventBus')!;
    const busArn = resolveMember(member.Resources.ForwardKmsKeyLifecycle.Properties.Targets[0].Arn);
    expect(busArn).toBe(
      `arn:aws:events:${pseudo.region}:${pseudo.account}:event-bus/${resolveIntrinsics(bus.Properties.Name, () => undefined, pseudo)}`,
    );
    const policy = Object.values(central.Resources).find((r) => r.Type === 'AWS::Events::EventBusPolicy')!;
    expect(policy.Properties.Statement).toMatchObject({
      Principal: '*',
      Action: 'events:PutEvents',
      Condition: {
        StringEquals: {
          'aws:PrincipalOrgID': 'o-abcdefghij',
          'events:source': ['aws.kms', 'aws.s3', 'aws.guardduty', 'aws.config'],
        },
      },
    });
    // Only the member template's forwarder roles: the pattern matches the forwarder of every Region.
    const pattern = resolveIntrinsics(
      policy.Properties.Statement.Condition.ArnLike['aws:PrincipalArn'],
      () => undefined,
      pseudo,
    ) as string;
    const forwarderArn = `arn:aws:iam::222233334444:role${member.Resources.ForwarderRole.Properties.Path}${resolveMember(member.Resources.ForwarderRole.Properties.RoleName)}`;
    expect(new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`).test(forwarderArn)).toBe(true);
    // Every source the member rules forward is admitted.
    for (const { file } of ruleTargets)
      expect(policy.Properties.Statement.Condition.StringEquals['events:source']).toEqual(
        expect.arrayContaining(readPattern(file).source),
      );
    // The forwarder may put events there and nowhere else.
    const forwarder = member.Resources.ForwarderRole.Properties.Policies[0].PolicyDocument;
    expect(statementsOf(forwarder).map((s) => [s.Action, resolveMember(s.Resource)])).toEqual([
      ['events:PutEvents', busArn],
    ]);
  });

  it('trusts exactly the central roles that may assume it, within the organization and with the external id', () => {
    const [trust, operators] = [
      statementsOf(member.Resources.MemberRole.Properties.AssumeRolePolicyDocument).filter((s) => !('Fn::If' in s)),
      statementsOf(member.Resources.MemberRole.Properties.AssumeRolePolicyDocument).filter((s) => 'Fn::If' in s),
    ];
    expect(trust).toHaveLength(1);
    // Operators' roles only when the stack instance names some, with the same conditions.
    expect(operators).toEqual([
      {
        'Fn::If': [
          'HasOperatorRoles',
          expect.objectContaining({ Principal: { AWS: { Ref: 'OperatorRoleArns' } }, Condition: trust[0].Condition }),
          { Ref: 'AWS::NoValue' },
        ],
      },
    ]);
    const trusted = (resolveMember(trust[0].Principal.AWS) as string[]).sort();
    const acting = centralActingRoles
      .map((role) =>
        resolveIntrinsics(
          { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role${role.Properties.Path}` },
          () => undefined,
          pseudo,
        ).concat(resolveIntrinsics(role.Properties.RoleName, () => undefined, pseudo)),
      )
      .sort();
    expect(trusted).toEqual(acting);
    expect(resolveMember(trust[0].Condition)).toEqual({
      StringEquals: { 'sts:ExternalId': `kms-warden-${testStage}`, 'aws:PrincipalOrgID': 'o-abcdefghij' },
    });
  });

  it("holds exactly the containment permissions of the central responders, on the account's own keys and principals", () => {
    const policy = member.Resources.MemberRole.Properties.Policies[0].PolicyDocument;
    const containment = statementsOf(policy).filter((s) => s.Effect === 'Allow' && !String(s.Sid).startsWith('Rekey'));
    expect([...new Set(containment.flatMap(actionsOf))].sort()).toEqual(memberIamActions());
    for (const role of centralActingRoles.filter(
      (r) => !String(r.Properties.RoleName['Fn::Sub'] ?? r.Properties.RoleName).endsWith('-rekey'),
    )) {
      const centralAllowed = (role.Properties.Policies as Json[])
        .flatMap((p) => statementsOf(p.PolicyDocument))
        .filter((s) => s.Effect === 'Allow')
        .flatMap(actionsOf);
      expect([...new Set(kmsAndIam(centralAllowed))].sort()).toEqual(memberIamActions());
    }
    for (const statement of containment) {
      const resources = [resolveMember(statement.Resource)].flat() as string[];
      for (const resource of resources)
        if (resource === '*') expect(statement.Action).toEqual(['kms:ListAliases']);
        else expect(resource).toMatch(/^arn:aws:(kms:\*|iam:):222233334444:/);
    }
  });

  it('denies the member role changes to itself, the forwarders, AWS managed roles and the StackSet execution roles', () => {
    const policy = member.Resources.MemberRole.Properties.Policies[0].PolicyDocument;
    const deny = statementsOf(policy).find((s) => s.Sid === 'NeverQuarantineOwnOrAwsManagedRoles');
    expect(resolveMember(deny.Resource)).toEqual([
      'arn:aws:iam::222233334444:role/kms-warden/*',
      'arn:aws:iam::222233334444:role/aws-service-role/*',
      'arn:aws:iam::222233334444:role/aws-reserved/*',
      'arn:aws:iam::222233334444:role/stacksets-exec-*',
      'arn:aws:iam::222233334444:role/AWSCloudFormationStackSetExecutionRole',
      'arn:aws:iam::222233334444:role/OrganizationAccountAccessRole',
      'arn:aws:iam::222233334444:role/AWSControlTowerExecution',
    ]);
    expect(statementsOf(policy).find((s) => s.Sid === 'NeverBypassLockoutSafetyCheck')).toEqual({
      Sid: 'NeverBypassLockoutSafetyCheck',
      Effect: 'Deny',
      Action: 'kms:PutKeyPolicy',
      Resource: '*',
      Condition: { Bool: { 'kms:BypassPolicyLockoutSafetyCheck': 'true' } },
    });
  });

  it("holds the central re-key role's permissions, less what only the central stack uses, for the same Region", () => {
    const policy = member.Resources.MemberRole.Properties.Policies[0].PolicyDocument;
    const rekey = statementsOf(policy).filter((s) => String(s.Sid).startsWith('Rekey'));
    const centralRole = Object.values(central.Resources).find(
      (r) => r.Type === 'AWS::IAM::Role' && String(r.Properties.RoleName?.['Fn::Sub'] ?? '').endsWith('-rekey'),
    )!;
    const centralStatements = (centralRole.Properties.Policies as Json[]).flatMap((p) =>
      statementsOf(p.PolicyDocument),
    );
    // What the central role has on its own account, with no resource of the central stack in it.
    const expected = centralStatements.filter(
      (s) =>
        s.Sid !== undefined &&
        !(centralOnlyRekeySids as readonly string[]).includes(s.Sid) &&
        !/"Ref":"(?!AWS::)|"Fn::GetAtt"/.test(JSON.stringify(s)) &&
        !['SigningSecret', 'Incidents', 'Notify', 'ActInMemberAccounts', 'OrganizationAccounts'].includes(s.Sid),
    );
    expect(rekey.map((s) => s.Sid)).toEqual(expected.map((s) => `Rekey${s.Sid}`));
    // The same statements, each resolved in its own stack: the member's in the member account, in the central Region.
    const inMember = { partition: 'aws', region: pseudo.region, account: '222233334444' };
    for (const [index, statement] of rekey.entries())
      expect(resolveMember({ ...statement, Sid: expected[index]!.Sid })).toEqual(
        resolveIntrinsics(expected[index], () => undefined, inMember),
      );
  });

  it("fits IAM's quota for a role's inline policies (10,240 characters, white space not counted)", () => {
    const written = member.Resources.MemberRole.Properties.Policies[0].PolicyDocument;
    // The break-glass deny counts too, with one principal named.
    const policy = resolveMember({
      ...written,
      Statement: statementsOf(written).map((s) =>
        'Fn::If' in s ? { ...s['Fn::If'][1], Resource: ['arn:aws:iam::222233334444:role/break-glass'] } : s,
      ),
    }) as Json;
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
    const length = JSON.stringify(policy).replace(/\s/g, '').length;
    expect(length).toBeLessThanOrEqual(10_240);
  });
});
