import { byResponder, failed, record, withRequest, type ApiCallCase } from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire grant-external-principal and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'a grantee in another account',
      record: withRequest(record('CreateGrant.iam-user'), { granteePrincipal: 'arn:aws:iam::999988887777:role/exfil' }),
      expect: { severity: 'high', evidence: { granteePrincipal: 'arn:aws:iam::999988887777:role/exfil' } },
    },
    {
      name: 'a retiring principal in another account',
      record: withRequest(record('CreateGrant.iam-user'), { retiringPrincipal: '999988887777' }),
    },
  ],
  noMatch: [
    { name: 'a grantee named by principal id', record: record('CreateGrant.iam-user') },
    { name: "EBS's grant to EC2 in the key's account", record: record('CreateGrant.ec2-infrastructure') },
    { name: 'DynamoDB acting for a customer', record: record('CreateGrant.invoked-by-dynamodb') },
    {
      name: 'a grantee in a trusted account',
      record: withRequest(record('CreateGrant.iam-user'), {
        granteePrincipal: 'arn:aws:iam::444455556666:role/backup',
      }),
    },
    {
      name: 'a failed call',
      record: failed(
        withRequest(record('CreateGrant.iam-user'), { granteePrincipal: 'arn:aws:iam::999988887777:role/exfil' }),
      ),
    },
    {
      name: "the responder's own call",
      record: byResponder(
        withRequest(record('CreateGrant.iam-user'), { granteePrincipal: 'arn:aws:iam::999988887777:role/exfil' }),
      ),
    },
  ],
};
