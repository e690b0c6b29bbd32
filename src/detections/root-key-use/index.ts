import { apiCallDetection } from '../detection';
import { isolate } from '../responses';

export const rootKeyUse = apiCallDetection({
  id: 'root-key-use',
  family: 'suspicious-use',
  title: 'The root user called KMS',
  severity: 'high',
  mitre: ['T1078.004'],
  stage: 'credential-use',
  respond: (signal, facts) => isolate(signal, facts, 'approval'),
  appliesTo: ['*'],
  // Any call by root is worth a look, failed ones included.
  detect: (event) =>
    event.principal.kind === 'root' && event.eventSource === 'kms.amazonaws.com' && !event.invokedBy
      ? {
          keyArn: event.keyArn,
          summary: `the root user of ${event.principal.accountId} called ${event.eventName}${event.succeeded ? '' : ` (failed: ${event.errorCode})`}`,
          evidence: { succeeded: event.succeeded, errorCode: event.errorCode, sourceIp: event.sourceIp },
        }
      : null,
});
