import type { z } from 'zod';
import { cloudTrailApiCallEventSchema, cloudTrailRecordSchema, type CloudTrailRecord } from './cloudtrail-record';
import { cloudTrailRecordFastPath } from './cloudtrail-fast-path';
import { configComplianceChangeEventSchema, type ConfigComplianceChange } from './config-compliance-change';
import {
  camelCaseKeys,
  guardDutyFindingEventSchema,
  guardDutyFindingSchema,
  normaliseGuardDutyFinding,
  type GuardDutyFinding,
} from './guardduty-finding';

/** Everything kms-warden reads, told apart and validated. */
export type InputEvent =
  | { kind: 'api-call'; record: CloudTrailRecord }
  | { kind: 'guardduty-finding'; finding: GuardDutyFinding }
  | { kind: 'config-compliance'; change: ConfigComplianceChange };

export type Classified = { ok: true; event: InputEvent } | { ok: false; problems: string[] };

/** What is wrong with an input, field by field ("detail.eventID: expected string"), the first ten. */
export const problemsOf = (error: z.ZodError): string[] =>
  error.issues.slice(0, 10).map((issue) => `${issue.path.join('.') || '(event)'}: ${issue.message}`);

const failure = (problems: string[]): Classified => ({ ok: false, problems });

/**
 * Accepts an EventBridge event ("AWS API Call via CloudTrail", "GuardDuty Finding", "Config Rules Compliance
 * Change"), a bare CloudTrail record, or a bare GuardDuty finding (camelCase, or GetFindings' PascalCase).
 */
export const classifyInput = (value: unknown): Classified => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return failure(['(event): expected a JSON object']);
  const object = value as Record<string, unknown>;
  const detailType = object['detail-type'];
  if (typeof detailType === 'string') {
    switch (detailType) {
      case 'AWS API Call via CloudTrail': {
        const parsed = cloudTrailApiCallEventSchema.safeParse(value);
        return parsed.success
          ? { ok: true, event: { kind: 'api-call', record: parsed.data.detail } }
          : failure(problemsOf(parsed.error));
      }
      case 'GuardDuty Finding': {
        const parsed = guardDutyFindingEventSchema.safeParse(value);
        return parsed.success
          ? { ok: true, event: { kind: 'guardduty-finding', finding: normaliseGuardDutyFinding(parsed.data.detail) } }
          : failure(problemsOf(parsed.error));
      }
      case 'Config Rules Compliance Change': {
        const parsed = configComplianceChangeEventSchema.safeParse(value);
        return parsed.success
          ? {
              ok: true,
              event: { kind: 'config-compliance', change: { ...parsed.data.detail, eventId: parsed.data.id } },
            }
          : failure(problemsOf(parsed.error));
      }
      default:
        return failure([`detail-type: "${detailType.slice(0, 60)}" is not an event kms-warden reads`]);
    }
  }
  if ('eventID' in object || 'eventSource' in object) {
    const fast = cloudTrailRecordFastPath(value);
    if (fast) return { ok: true, event: { kind: 'api-call', record: fast } };
    const parsed = cloudTrailRecordSchema.safeParse(value);
    return parsed.success
      ? { ok: true, event: { kind: 'api-call', record: parsed.data } }
      : failure(problemsOf(parsed.error));
  }
  const finding =
    'Severity' in object && 'Type' in object
      ? camelCaseKeys(value)
      : 'severity' in object && 'type' in object
        ? value
        : undefined;
  if (finding) {
    const parsed = guardDutyFindingSchema.safeParse(finding);
    return parsed.success
      ? { ok: true, event: { kind: 'guardduty-finding', finding: normaliseGuardDutyFinding(parsed.data) } }
      : failure(problemsOf(parsed.error));
  }
  return failure(['(event): neither an EventBridge event, a CloudTrail record nor a GuardDuty finding']);
};
