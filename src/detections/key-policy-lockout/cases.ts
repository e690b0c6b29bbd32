import {
  byResponder,
  failed,
  invokedByService,
  record,
  withRequest,
  type ApiCallCase,
} from '../../../test/support/cases/api-call';

/**
 * Fixtures that must fire key-policy-lockout and fixtures that must not (test/unit/detections/cases.test.ts runs them).
 */
export const cases: { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] } = {
  kind: 'api-call',
  match: [
    {
      name: 'BypassPolicyLockoutSafetyCheck true',
      record: withRequest(record('PutKeyPolicy.default-policy'), { bypassPolicyLockoutSafetyCheck: true }),
    },
  ],
  noMatch: [
    { name: 'the check left on', record: record('PutKeyPolicy.default-policy') },
    {
      name: 'a failed call',
      record: failed(withRequest(record('PutKeyPolicy.default-policy'), { bypassPolicyLockoutSafetyCheck: true })),
    },
    {
      name: "the responder's own call",
      record: byResponder(withRequest(record('PutKeyPolicy.default-policy'), { bypassPolicyLockoutSafetyCheck: true })),
    },
    {
      name: 'an AWS service acting for a customer',
      record: invokedByService(
        withRequest(record('PutKeyPolicy.default-policy'), { bypassPolicyLockoutSafetyCheck: true }),
      ),
    },
  ],
};
