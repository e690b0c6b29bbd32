import { memberTemplateOfRepository } from '../../../src/local/member-template-source';
import { serviceControlPolicy } from '../../../src/organization/service-control-policy';
import { main } from '../../../src/cli/main';
import { captured } from '../../support/captured-io';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- policy JSON
const wildcard = (pattern: string) => new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
const matchesAny = (patterns: string | string[], arn: string) => [patterns].flat().some((p) => wildcard(p).test(arn));

describe('the service control policy for member accounts', () => {
  const policy = serviceControlPolicy('prod') as Json;
  const member = memberTemplateOfRepository() as Json;
  const [roles, rules] = policy.Statement as [Json, Json];

  it("covers the member template's roles under any path, and its rules, for everyone but the StackSet", () => {
    const path = member.Resources.MemberRole.Properties.Path as string;
    expect(matchesAny(roles.Resource, `arn:aws:iam::222233334444:role${path}kms-warden-member-prod`)).toBe(true);
    // Role names are unique in an account whatever the path: one made first under another path is refused too.
    expect(matchesAny(roles.Resource, 'arn:aws:iam::222233334444:role/squatter/kms-warden-member-prod')).toBe(true);
    expect(
      matchesAny(roles.Resource, 'arn:aws:iam::222233334444:role/kms-warden/kms-warden-prod-forwarder-eu-west-1'),
    ).toBe(true);
    expect(matchesAny(roles.Resource, 'arn:aws:iam::222233334444:role/payments-app')).toBe(false);
    expect(roles.Action).toEqual(
      expect.arrayContaining(['iam:CreateRole', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePolicy']),
    );
    for (const [id, resource] of Object.entries(member.Resources as Record<string, Json>).filter(
      ([, r]) => r.Type === 'AWS::Events::Rule',
    )) {
      const name = (resource.Properties.Name['Fn::Sub'] as string).replace('${Stage}', 'prod');
      expect([id, matchesAny(rules.Resource, `arn:aws:events:eu-west-1:222233334444:rule/${name}`)]).toEqual([
        id,
        true,
      ]);
    }
    for (const statement of [roles, rules])
      expect(
        matchesAny(
          statement.Condition.ArnNotLike['aws:PrincipalArn'],
          'arn:aws:iam::222233334444:role/stacksets-exec-0123456789abcdef',
        ),
      ).toBe(true);
  });

  it('fits the 5,120 characters an SCP may hold, and is printed by the CLI', async () => {
    expect(JSON.stringify(policy).length).toBeLessThanOrEqual(5120);
    const run = captured();
    expect(await main(['organization', 'scp', '--stage', 'prod', '--json'], run.io)).toBe(0);
    expect(JSON.parse(run.out[0]!)).toEqual(policy);
    expect(await main(['organization', 'member-template', '--stage', 'prod'], captured().io)).toBe(2);
  });
});
