import type { KmsApiCall } from '../events/kms-api-call';
import type { DetectionSettings, Detector, Signal } from './detector';
import { keyDeletionScheduled } from './key-deletion-scheduled';

/** Every detector, explicitly. A detector not listed here does not run. */
export const detectors: readonly Detector[] = [keyDeletionScheduled];

export const detectSignals = (event: KmsApiCall, settings: DetectionSettings): Signal[] =>
  detectors
    .filter((detector) => detector.appliesTo.includes(event.eventName))
    .flatMap((detector) => {
      const detection = detector.detect(event, settings);
      if (!detection) return [];
      return [
        {
          detector: detector.id,
          title: detector.title,
          severity: detection.severity ?? detector.severity,
          mitre: detector.mitre,
          keyArn: detection.keyArn,
          principal: event.principal,
          summary: detection.summary,
          evidence: detection.evidence,
          source: {
            eventId: event.eventId,
            eventName: event.eventName,
            eventTime: event.eventTime,
            region: event.region,
            accountId: event.accountId,
            sourceIp: event.sourceIp,
            userAgent: event.userAgent,
          },
        },
      ];
    });
