import { z } from 'zod';
import { detectInComplianceChange, detectInFinding } from '../detections';
import { configComplianceChangeEventSchema } from '../events/config-compliance-change';
import { guardDutyFindingEventSchema, normaliseGuardDutyFinding } from '../events/guardduty-finding';
import { withOrganization } from './organization';
import { respondToSignals, type Outcome, type ResponderDeps } from './respond-to-signals';

/** What the findings rules deliver: GuardDuty findings and Config compliance changes. */
export const securityFindingEventSchema = z.discriminatedUnion('detail-type', [
  guardDutyFindingEventSchema,
  configComplianceChangeEventSchema,
]);
export type SecurityFindingEvent = z.infer<typeof securityFindingEventSchema>;

/** The use case behind the GuardDuty and Config rules: normalise, detect, then the same response as API calls. */
export const respondToSecurityFinding =
  (given: ResponderDeps) =>
  async (event: SecurityFindingEvent): Promise<Outcome> => {
    // A delegated administrator receives its members' findings: each is about the member account it names, where the
    // response acts (src/respond/organization.ts).
    const deps = await withOrganization(given);
    const signals =
      event['detail-type'] === 'GuardDuty Finding'
        ? detectInFinding(normaliseGuardDutyFinding(event.detail), deps.settings)
        : detectInComplianceChange({ ...event.detail, eventId: event.id }, deps.settings);
    if (signals.length === 0) {
      deps.logger.info('finding is not about a compromised credential or a KMS key', {
        id: event.id,
        detailType: event['detail-type'],
      });
      return { status: 'ignored', reason: 'no detector fired' };
    }
    return respondToSignals(signals, deps);
  };
