import { apiCallDetection, isDirectSuccessfulCall, type Severity } from '../detection';
import { byKeyAdministrator, isolate } from '../responses';
import { principalIsListed } from '../../events/principal';

/**
 * A disconnected store stops every key in it at once. A store can be deleted only when it is disconnected and holds no
 * keys (https://docs.aws.amazon.com/kms/latest/APIReference/API_DeleteCustomKeyStore.html): its keys were lost before.
 */
const severityOf: Record<string, { keyAdministrator: Severity; anyoneElse: Severity }> = {
  DisconnectCustomKeyStore: { keyAdministrator: 'medium', anyoneElse: 'high' },
  DeleteCustomKeyStore: { keyAdministrator: 'low', anyoneElse: 'medium' },
};

export const customKeyStoreDisconnected = apiCallDetection({
  id: 'custom-key-store-disconnected',
  family: 'key-sabotage',
  title: 'A custom key store was disconnected or deleted',
  severity: 'high',
  mitre: ['T1489', 'T1485'],
  stage: 'destruction',
  // Reconnecting is a person's call (the store may be down for its own reasons): containing the caller is offered.
  respond: (signal, facts) => (byKeyAdministrator(signal) ? [] : isolate(signal, facts, 'approval')),
  appliesTo: ['DisconnectCustomKeyStore', 'DeleteCustomKeyStore'],
  detect: (event, settings) => {
    const severities = severityOf[event.eventName];
    if (!severities || !isDirectSuccessfulCall(event)) return null;
    const customKeyStoreId = event.requestParameters.customKeyStoreId;
    const callerIsKeyAdministrator = principalIsListed(event.principal, settings.keyAdministrators);
    return {
      severity: callerIsKeyAdministrator ? severities.keyAdministrator : severities.anyoneElse,
      summary:
        event.eventName === 'DisconnectCustomKeyStore'
          ? `${event.principal.arn} disconnected custom key store ${String(customKeyStoreId)}: every KMS key in it ` +
            'is unusable until it is reconnected; reconnect with ConnectCustomKeyStore'
          : `${event.principal.arn} deleted custom key store ${String(customKeyStoreId)}; its backing cluster or ` +
            'external key manager is untouched: a new store can be created on it with CreateCustomKeyStore',
      evidence: { customKeyStoreId, callerIsKeyAdministrator },
    };
  },
});
