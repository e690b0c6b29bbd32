import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  packageOffline,
  withConditionsDecided,
  type CfnTemplate,
  type Json,
} from '../../support/strict-aws/packaged-template';

const breakGlass = ['arn:aws:iam::123456789012:role/ops/break-glass', 'arn:aws:iam::123456789012:user/account-keeper'];
/** Every role whose function can quarantine: it is allowed iam:PutRolePolicy. */
const quarantiningRoles = ['OnKmsApiCallRole', 'OnKmsActivityRole', 'OnSecurityFindingRole', 'DecisionExecutorRole'];

const statementsOf = (template: CfnTemplate, roleId: string) =>
  template.Resources[roleId]!.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement) as Json[];

describe('withConditionsDecided: the template as CloudFormation deploys it with its parameter defaults', () => {
  const template = (defaultValue: string): CfnTemplate => ({
    Parameters: { Names: { Type: 'CommaDelimitedList', Default: defaultValue } },
    Conditions: { HasNames: { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': [',', { Ref: 'Names' }] }, ''] }] } },
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Statement: [
            { Sid: 'Always' },
            { 'Fn::If': ['HasNames', { Sid: 'Deny', Resource: { Ref: 'Names' } }, { Ref: 'AWS::NoValue' }] },
          ],
          Listed: { 'Fn::Join': [',', { Ref: 'Names' }] },
        },
      },
      OnlyWithNames: { Type: 'AWS::SNS::Topic', Properties: {}, Condition: 'HasNames' },
    },
  });

  it('drops the statement and the resource of a false condition', () => {
    const decided = withConditionsDecided(template(''));
    expect(decided.Resources.Role!.Properties.Statement).toEqual([{ Sid: 'Always' }]);
    expect(decided.Resources.OnlyWithNames).toBeUndefined();
  });

  it('keeps the branch of a true condition, with the parameter as the list it is', () => {
    const decided = withConditionsDecided(template('a,b'));
    expect(decided.Resources.Role!.Properties.Statement).toEqual([
      { Sid: 'Always' },
      { Sid: 'Deny', Resource: ['a', 'b'] },
    ]);
    expect(decided.Resources.Role!.Properties.Listed).toEqual({ 'Fn::Join': [',', ['a', 'b']] });
    expect(decided.Resources.OnlyWithNames).toBeDefined();
  });

  it('names a condition function it cannot decide', () => {
    const unknown: CfnTemplate = {
      Conditions: { Odd: { 'Fn::Contains': [['a'], 'a'] } },
      Resources: { R: { Type: 'AWS::SNS::Topic', Properties: {}, Condition: 'Odd' } },
    };
    expect(() => withConditionsDecided(unknown)).toThrow(/Fn::Contains/);
  });
});

describe('the packaged template with breakGlassPrincipals set', () => {
  let dir: string;
  let template: CfnTemplate;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kms-warden-break-glass-'));
    template = withConditionsDecided(packageOffline(dir, [`breakGlassPrincipals=${breakGlass.join(',')}`]));
  }, 180_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('covers every role allowed to quarantine, and no other', () => {
    const allowedToQuarantine = Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties.Policies)
      .filter(([id]) =>
        statementsOf(template, id).some((s) => s.Effect === 'Allow' && [s.Action].flat().includes('iam:PutRolePolicy')),
      )
      .map(([id]) => id);
    expect(allowedToQuarantine.sort()).toEqual([...quarantiningRoles].sort());
  });

  it.each(quarantiningRoles)('%s is denied every IAM change to each break-glass principal', (roleId) => {
    const deny = statementsOf(template, roleId).find((s) => s.Sid === 'NeverChangeBreakGlassPrincipals');
    expect(deny).toMatchObject({ Effect: 'Deny', Resource: breakGlass });
    expect(deny.Condition).toBeUndefined();
  });

  it('tells every function the break-glass principals', () => {
    for (const fn of Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')) {
      expect(fn.Properties.Environment.Variables.BREAK_GLASS_PRINCIPALS).toEqual({ 'Fn::Join': [',', breakGlass] });
    }
  });
});
