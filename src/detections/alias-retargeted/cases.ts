import {
  byResponder,
  failed,
  invokedByService,
  record,
  withRequest,
  type ApiCallCase,
} from '../../../test/support/cases/api-call';

/** A key of an account that is neither the alias's nor trusted (the tests trust 444455556666). */
const outsidersKey = 'arn:aws:kms:us-west-2:999988887777:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const trustedAccountsKey = 'arn:aws:kms:us-west-2:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab';

/**
 * Fixtures that must fire alias-retargeted and fixtures that must not (test/unit/detections/detectors.test.ts runs
 * them). AWS documents no error code for a target key in another account; the refusals below use NotFoundException,
 * the one the CreateAlias and UpdateAlias pages list for a key that cannot be found, and the detection reads no code.
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    { name: 'UpdateAlias', record: record('UpdateAlias.iam-user'), expect: { severity: 'medium' } },
    { name: 'DeleteAlias', record: record('DeleteAlias.iam-user'), expect: { severity: 'medium' } },
    // origin: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
    {
      name: 'CreateAlias naming a key of another account, refused',
      record: failed(withRequest(record('CreateAlias.iam-user'), { targetKeyId: outsidersKey }), 'NotFoundException'),
      expect: {
        severity: 'medium',
        evidence: { targetAccount: '999988887777', refused: true, errorCode: 'NotFoundException' },
      },
    },
    // origin: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
    {
      name: 'CreateAlias under the reserved alias/aws/ prefix, refused',
      record: failed(
        withRequest(record('CreateAlias.iam-user'), { aliasName: 'alias/aws/s3' }),
        'InvalidAliasNameException',
      ),
      expect: { severity: 'medium', evidence: { reservedPrefix: 'alias/aws/', refused: true } },
    },
    // origin: https://docs.aws.amazon.com/kms/latest/APIReference/API_UpdateAlias.html
    {
      name: 'UpdateAlias naming a key of another account, refused',
      record: failed(withRequest(record('UpdateAlias.iam-user'), { targetKeyId: outsidersKey }), 'NotFoundException'),
      expect: { severity: 'medium', evidence: { targetAccount: '999988887777', refused: true } },
    },
  ],
  noMatch: [
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
    { name: 'a failed call', record: failed(record('UpdateAlias.iam-user')) },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    { name: "the responder's own call", record: byResponder(record('UpdateAlias.iam-user')) },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    { name: 'an AWS service acting for a customer', record: invokedByService(record('DeleteAlias.iam-user')) },
    { name: 'CreateAlias for a key of its own account', record: record('CreateAlias.iam-user') },
    // origin: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
    { name: 'a refused CreateAlias for a key of its own account', record: failed(record('CreateAlias.iam-user')) },
    // origin: https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
    {
      name: 'CreateAlias naming a key of a trusted account, refused',
      record: failed(
        withRequest(record('CreateAlias.iam-user'), { targetKeyId: trustedAccountsKey }),
        'NotFoundException',
      ),
    },
    // origin: https://docs.aws.amazon.com/kms/latest/developerguide/alias-about.html
    {
      name: 'an AWS service creating the alias of its AWS managed key',
      record: invokedByService(
        withRequest(record('CreateAlias.iam-user'), { aliasName: 'alias/aws/s3' }),
        's3.amazonaws.com',
      ),
    },
    // origin: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
    {
      name: "the responder's own CreateAlias naming a key of another account",
      record: byResponder(withRequest(record('CreateAlias.iam-user'), { targetKeyId: outsidersKey })),
    },
  ],
};
