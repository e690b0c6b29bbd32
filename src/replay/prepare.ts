import { detectStateless } from '../detections';
import type { DetectionSettings, Signal } from '../detections/detection';
import type { ConfigComplianceChange } from '../events/config-compliance-change';
import type { GuardDutyFinding } from '../events/guardduty-finding';
import { classifyInput } from '../events/input';
import { normaliseKmsApiCall, type KmsApiCall } from '../events/kms-api-call';
import type { SourceValue } from './read-source';
import type { TimeWindow } from './sources';

/** One JSON value read from a file, or a line that is not JSON. */
export type RawInput = { ok: true; value: unknown; where: string } | { ok: false; problem: string; where: string };

/** An input made ready for detection: validated, normalised and timed; or why it could not be. */
export type PreparedEvent =
  /** `signals`: the stateless detectors' findings, when they already ran where the event was prepared. */
  | { kind: 'api-call'; at: number; call: KmsApiCall; signals?: Signal[] }
  | { kind: 'guardduty-finding'; at: number; finding: GuardDutyFinding }
  | { kind: 'config-compliance'; at: number; change: ConfigComplianceChange };

/** `unreadable`: the source itself could not be read to its end (a cut gzip, an object refused), not one input. */
export type Prepared =
  { ok: true; event: PreparedEvent } | { ok: false; where: string; problem: string; unreadable?: boolean };

export interface PrepareOptions {
  /** kms-warden's own role ARNs (RESPONDER_ROLE_ARNS when set): their calls are not reported. */
  responderRoles: readonly string[];
  /** When given, stateless detection runs here too and the request and response are dropped: what is left is
   * all the stateful detectors read, and cheap to move between threads. */
  settings?: DetectionSettings;
}

const noParameters: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const noSignals: Signal[] = Object.freeze([]) as unknown as Signal[];

/** Validation and normalisation: the per-event work that does not need detection state, so it can run anywhere. */
export const prepare = (input: RawInput, options: PrepareOptions): Prepared => {
  if (!input.ok) return { ok: false, where: input.where, problem: input.problem };
  const classified = classifyInput(input.value);
  if (!classified.ok) return { ok: false, where: input.where, problem: classified.problems.join('; ') };
  const event = classified.event;
  switch (event.kind) {
    case 'api-call': {
      const call = normaliseKmsApiCall(event.record, options);
      const at = Date.parse(call.eventTime);
      if (!options.settings) return { ok: true, event: { kind: 'api-call', at, call } };
      const signals = detectStateless(call, options.settings);
      // The call was made here for this event alone: dropped in place rather than copied.
      call.requestParameters = noParameters;
      call.responseElements = noParameters;
      call.errorMessage = undefined;
      // Always set, even empty: the request is gone, so stateless detection must not run again on what is left.
      return { ok: true, event: { kind: 'api-call', at, call, signals: signals.length > 0 ? signals : noSignals } };
    }
    case 'guardduty-finding':
      return {
        ok: true,
        event: { kind: 'guardduty-finding', at: Date.parse(event.finding.updatedAt), finding: event.finding },
      };
    case 'config-compliance':
      return {
        ok: true,
        event: {
          kind: 'config-compliance',
          at: Date.parse(event.change.notificationCreationTime),
          change: event.change,
        },
      };
  }
};

/**
 * Prepares one value read from a source. Its `where` is left empty for the caller to fill (it knows the source); an
 * event outside the time window is left out (undefined).
 */
export const prepareValue = (
  value: SourceValue,
  options: PrepareOptions & { window?: TimeWindow | undefined },
): Prepared | undefined => {
  const prepared = prepare(
    value.ok ? { ok: true, value: value.value, where: '' } : { ok: false, problem: value.problem, where: '' },
    options,
  );
  const window = options.window;
  if (!prepared.ok || !window) return prepared;
  const at = prepared.event.at;
  if ((window.since !== undefined && at < window.since) || (window.until !== undefined && at >= window.until))
    return undefined;
  return prepared;
};
