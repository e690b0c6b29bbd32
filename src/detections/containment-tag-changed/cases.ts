import {
  byResponder,
  byRoot,
  failed,
  invokedByService,
  record,
  renamed,
  withRequest,
  type ApiCallCase,
} from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire containment-tag-changed and fixtures that must not (test/unit/detections/cases.test.ts runs
 * them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'TagResource setting kms-warden:mode=observe, by root',
      record: byRoot(
        withRequest(record('TagResource.iam-user'), { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }] }),
      ),
      expect: { severity: 'high', evidence: { changed: { 'kms-warden:mode': 'observe' } } },
    },
    {
      name: 'UntagResource removing kms-warden:protected, by root',
      record: byRoot(
        renamed(
          {
            ...record('TagResource.iam-user'),
            requestParameters: {
              keyId: record('TagResource.iam-user').requestParameters!.keyId,
              tagKeys: ['kms-warden:protected'],
            },
          },
          'UntagResource',
        ),
      ),
      expect: { severity: 'high', evidence: { changed: { 'kms-warden:protected': null } } },
    },
  ],
  noMatch: [
    {
      name: "a tag that is not kms-warden's (the record as AWS documents it)",
      record: byRoot(record('TagResource.iam-user')),
    },
    {
      name: 'a key administrator setting kms-warden:mode',
      record: withRequest(record('TagResource.iam-user'), {
        tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }],
      }),
    },
    {
      name: 'a failed call',
      record: failed(
        byRoot(
          withRequest(record('TagResource.iam-user'), { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }] }),
        ),
      ),
    },
    {
      name: "the responder's own call",
      record: byResponder(
        withRequest(record('TagResource.iam-user'), { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'contain' }] }),
      ),
    },
    {
      name: 'an AWS service acting for a customer',
      record: invokedByService(
        byRoot(
          withRequest(record('TagResource.iam-user'), { tags: [{ tagKey: 'kms-warden:mode', tagValue: 'observe' }] }),
        ),
      ),
    },
  ],
};
