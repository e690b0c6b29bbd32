import { principalMemoryOf } from '../memory';
import { statefulDetection } from '../detection';
import { isolate } from '../responses';
import { principalKey } from '../../events/principal';
import { actionIdOf, type KmsApiCall } from '../../events/kms-api-call';

const deniedErrors = /^(AccessDenied|IncorrectKey|InvalidCiphertext|Disabled|KMSInvalidState)/;

/** A KMS call that failed the way a caller probing for access fails. */
export const isDeniedKmsCall = (event: KmsApiCall): boolean =>
  !event.succeeded &&
  event.eventSource === 'kms.amazonaws.com' &&
  deniedErrors.test(event.errorCode ?? '') &&
  !event.byResponder;

export const accessDeniedBurst = statefulDetection({
  id: 'access-denied-burst',
  family: 'suspicious-use',
  title: 'A burst of refused KMS calls by one principal',
  severity: 'high',
  mitre: ['T1110', 'T1580'],
  stage: 'reconnaissance',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  learn: (event, memory, { settings, at, fired }) => {
    if (!isDeniedKmsCall(event)) return;
    const principalArn = principalKey(event.principal.arn);
    const seen = principalMemoryOf(memory, principalArn);
    const { count, windowMinutes } = settings.thresholds.accessDeniedBurst;
    const since = at - windowMinutes * 60_000;
    // Only the last `count` times can matter for the threshold; an event seen before is not counted again.
    const action = actionIdOf(event);
    if (seen.denied[action] === undefined) {
      for (const [id, time] of Object.entries(seen.denied)) if (time <= since) delete seen.denied[id];
      seen.denied[action] = at;
      const kept = Object.entries(seen.denied);
      if (kept.length > count) {
        kept.sort(([, a], [, b]) => a - b);
        for (const [id] of kept.slice(0, kept.length - count)) delete seen.denied[id];
      }
    }
    // Reported once per window.
    if (fired) seen.deniedAlertedAt = at;
    memory.putPrincipal(principalArn, seen);
  },
  appliesTo: ['*'],
  stateful: true,
  detect: (event, settings, memory, at) => {
    if (!isDeniedKmsCall(event)) return null;
    const { count, windowMinutes } = settings.thresholds.accessDeniedBurst;
    const windowMs = windowMinutes * 60_000;
    const seen = memory.principal(principalKey(event.principal.arn));
    // An event delivered again is already among those counted (EventBridge delivers at least once).
    if (seen?.denied[actionIdOf(event)] !== undefined) return null;
    let recent = 1;
    for (const time of Object.values(seen?.denied ?? {})) if (time > at - windowMs) recent += 1;
    const alertedRecently = seen?.deniedAlertedAt !== undefined && at - seen.deniedAlertedAt < windowMs;
    if (recent < count || alertedRecently) return null;
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn} had ${recent} KMS calls refused within ${windowMinutes} minutes (last: ${event.eventName}, ${event.errorCode})`,
      evidence: { refusedCalls: recent, windowMinutes, lastErrorCode: event.errorCode, sourceIp: event.sourceIp },
    };
  },
});
