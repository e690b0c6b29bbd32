import { Logger } from '@aws-lambda-powertools/logger';
import type { Signal } from '../../../src/detections/detection';
import { actingAccountFor, responderRolesIn, withOrganization } from '../../../src/respond/organization';
import type { ResponderDeps, ResponderSettings } from '../../../src/respond/responder-deps';
import { inMemoryResponderDeps } from '../../support/responder';

const central = '111122223333';
const memberB = '222233334444';
const memberC = '333344445555';
const outsider = '999988887777';
const memberRoleArn = (account: string) => `arn:aws:iam::${account}:role/kms-warden/kms-warden-member-prod`;

const inOrganization = async (trustedAccounts: string[] = []) => {
  const { deps } = inMemoryResponderDeps();
  const base: ResponderDeps = {
    ...deps,
    logger: new Logger({ logLevel: 'SILENT' }),
    settings: { ...deps.settings, accountId: central, trustedAccounts },
    organization: {
      directory: {
        accounts: async () =>
          new Map([
            [central, 'security'],
            [memberB, 'payments'],
            [memberC, 'analytics'],
          ]),
      },
      memberRoleArn,
    },
  };
  return (await withOrganization(base)).settings;
};

const signal = (principalArn: string, keyArn: string | undefined, account: string) =>
  ({
    keyArn,
    principal: { kind: 'assumed-role', arn: principalArn },
    source: { accountId: account },
  }) as unknown as Signal;

describe('organization mode', () => {
  it("trusts every account of the organization besides trustedAccounts, and knows the accounts' names", async () => {
    const settings = await inOrganization(['444455556666']);
    expect([...settings.trustedAccounts].sort()).toEqual(['111122223333', memberB, memberC, '444455556666'].sort());
    expect(settings.organization?.accounts.get(memberB)).toBe('payments');
  });

  it('leaves the settings alone outside organization mode', async () => {
    const { deps } = inMemoryResponderDeps();
    expect(await withOrganization(deps)).toBe(deps);
  });

  it("counts the member role's sessions in the accounts at hand as kms-warden's own, and no outsider's role", async () => {
    const settings = await inOrganization();
    expect(responderRolesIn(settings, memberB, outsider, undefined)).toEqual([
      ...settings.responderRoles,
      memberRoleArn(memberB),
    ]);
    expect(responderRolesIn(settings, outsider)).toBe(settings.responderRoles);
  });

  it("acts on a suspect in its own member account, on an outsider in the key's account", async () => {
    const settings = await inOrganization();
    const keyInB = `arn:aws:kms:us-east-1:${memberB}:key/1`;
    expect(actingAccountFor(signal(`arn:aws:iam::${memberC}:role/ci`, keyInB, memberB), settings)).toBe(memberC);
    expect(actingAccountFor(signal(`arn:aws:iam::${outsider}:role/x`, keyInB, memberB), settings)).toBe(memberB);
    expect(actingAccountFor(signal(`arn:aws:iam::${outsider}:role/x`, undefined, memberB), settings)).toBe(memberB);
  });

  it('acts in its own account outside organization mode, whatever the event', () => {
    const settings = { accountId: central, responderRoles: [] } as unknown as ResponderSettings;
    const keyInB = `arn:aws:kms:us-east-1:${memberB}:key/1`;
    expect(actingAccountFor(signal(`arn:aws:iam::${memberB}:role/ci`, keyInB, memberB), settings)).toBe(central);
  });
});
