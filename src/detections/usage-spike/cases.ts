import { steadyThenBurst, type SequenceCase } from '../../../test/support/cases/sequence';

const steadyHours = 8 * 24 * 10;
/** Every record twice, as EventBridge may deliver it (the same eventID): https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html */
const deliveredTwice = (records: SequenceCase['records']) => records.flatMap((r) => [r, r]);

/**
 * Every record as an organization's events bring a cross-account call: once from each account, with their own
 * eventIDs and one sharedEventID (https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html).
 */
const loggedInBothAccounts = (records: SequenceCase['records']) =>
  records.flatMap((r) => {
    const shared = { ...r, sharedEventID: `shared-${r.eventID}` };
    return [shared, { ...shared, eventID: `${r.eventID}-other-account`, recipientAccountId: '999988887777' }];
  });

/**
 * Fixtures that must fire usage-spike and fixtures that must not (test/unit/detections/cases.test.ts runs them).
 * Past 64 calls in an hour the count is estimated (about 3% standard error): the threshold of 1,000 is crossed at
 * about the thousandth call, so the cases keep 10% from it.
 */
export const cases: { kind: 'sequence'; match: SequenceCase[]; noMatch: SequenceCase[] } = {
  kind: 'sequence',
  match: [
    {
      name: '1100 calls in an hour against 10 an hour',
      records: steadyThenBurst(10, 1100),
      firesOnceFrom: steadyHours + 900,
    },
    {
      name: "1100 calls in an hour, each logged in both accounts' trails",
      records: loggedInBothAccounts(steadyThenBurst(10, 1100)),
      firesOnceFrom: 2 * (steadyHours + 900),
    },
    {
      name: '1100 calls in an hour, each delivered twice',
      records: deliveredTwice(steadyThenBurst(10, 1100)),
      firesOnceFrom: 2 * (steadyHours + 900),
    },
  ],
  noMatch: [
    { name: '900 calls in an hour against 10 an hour', records: steadyThenBurst(10, 900) },
    { name: '600 calls in an hour, each delivered twice', records: deliveredTwice(steadyThenBurst(10, 600)) },
    {
      name: "600 calls in an hour, each logged in both accounts' trails",
      records: loggedInBothAccounts(steadyThenBurst(10, 600)),
    },
    { name: '1500 calls in an hour against 200 an hour', records: steadyThenBurst(200, 1500) },
  ],
};
