import { apiCallDetection, isDirectSuccessfulCall } from '../detection';
import { isolate } from '../responses';
import { principalIsListed } from '../../events/principal';
import { containmentTagsChanged } from '../../policy/key-facts';

/**
 * The kms-warden:* tags are security settings: whoever may call kms:TagResource could otherwise tag a key
 * kms-warden:mode=observe (or protected=true) and then delete or disable it unanswered. A change by anyone but a key
 * administrator is a signal; the response keeps using the settings a key administrator last set.
 */
export const containmentTagChanged = apiCallDetection({
  id: 'containment-tag-changed',
  family: 'protection-weakened',
  title: "A key's kms-warden settings were changed by someone who is not a key administrator",
  severity: 'high',
  mitre: ['T1562.001'],
  stage: 'defence-weakened',
  needs: ['administratorTags'],
  // The changed tags go back to what a key administrator last set (removed where none did); the changer is isolated.
  respond: (signal, facts) => [
    ...(signal.keyArn
      ? [
          {
            type: 'restore-key-tags' as const,
            params: {
              keyArn: signal.keyArn,
              tags: Object.fromEntries(
                Object.keys((signal.evidence.changed ?? {}) as Record<string, unknown>).map((tag) => [
                  tag,
                  facts.administratorTags?.[tag] ?? null,
                ]),
              ),
            },
            run: 'automatic' as const,
          },
        ]
      : []),
    ...isolate(signal, facts),
  ],
  appliesTo: ['TagResource', 'UntagResource'],
  detect: (event, settings) => {
    if (!isDirectSuccessfulCall(event) || !event.keyArn) return null;
    const changed = containmentTagsChanged(event.eventName, event.requestParameters);
    if (Object.keys(changed).length === 0 || principalIsListed(event.principal, settings.keyAdministrators))
      return null;
    const described = Object.entries(changed).map(([tag, value]) =>
      value === null ? `removed ${tag}` : `set ${tag}=${value}`,
    );
    return {
      keyArn: event.keyArn,
      summary: `${event.principal.arn}, not a key administrator, ${described.join(' and ')} on ${event.keyArn}: kms-warden keeps the settings a key administrator last set`,
      evidence: { changed },
    };
  },
});
