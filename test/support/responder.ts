import { Logger } from '@aws-lambda-powertools/logger';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { IamPrincipals } from '../../src/aws/iam-principals';
import { KmsKeys } from '../../src/aws/kms-keys';
import { defaultThresholds } from '../../src/detections';
import { InMemoryIncidentStore } from '../../src/incidents/in-memory-incident-store';
import type { Notification } from '../../src/notify/notifier';
import { InMemoryCircuitBreaker } from '../../src/policy/circuit-breaker';
import type { ResponderDeps } from '../../src/respond/respond-to-kms-api-call';
import { InMemoryDetectionMemory } from '../../src/state/in-memory-detection-memory';
import { InMemoryKeyJournal } from '../../src/state/in-memory-key-journal';
import { InMemoryPolicyTexts, InProcessKeyPolicyLock } from '../../src/state/policy-texts';
import { responderRoles } from './records';

/**
 * A responder's deps in process: stores in memory, KMS and IAM through their real adapters (a unit test mocks the
 * clients with aws-sdk-client-mock), and what was sent kept.
 */
export const inMemoryResponderDeps = (keyAdministrators: string[] = []) => {
  const sent: Notification[] = [];
  const incidents = new InMemoryIncidentStore();
  const deps: ResponderDeps = {
    quietMinutes: 5,
    kms: new KmsKeys((region) => new KMSClient({ region })),
    iam: new IamPrincipals(new IAMClient({ region: 'us-east-1' })),
    policyTexts: new InMemoryPolicyTexts(),
    keyPolicyLock: new InProcessKeyPolicyLock(),
    incidents,
    keyStates: new InMemoryKeyJournal(),
    memory: new InMemoryDetectionMemory(),
    keyPolicies: new InMemoryKeyJournal(),
    keySettings: { administrators: new InMemoryKeyJournal(), others: new InMemoryKeyJournal() },
    breaker: new InMemoryCircuitBreaker(3),
    notifier: { send: async (n) => (sent.push(n), `msg-${sent.length}`) },
    logger: new Logger({ logLevel: 'SILENT' }),
    settings: {
      keyAdministrators,
      trustedAccounts: [],
      trustedOrganizations: [],
      thresholds: defaultThresholds,
      defaultMode: 'contain',
      protectedKeys: [],
      dryRun: false,
      disableKeysPerHour: 3,
      revokesPerSecond: 10,
      responderRoles,
      unknownPriorKeyState: 'Enabled',
    },
    now: () => new Date('2026-11-28T12:00:00.000Z'),
  };
  return { deps, sent, incidents };
};
