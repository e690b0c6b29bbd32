import { randomUUID } from 'node:crypto';
import type { Signal } from '../detectors/detector';
import { accountOfKey } from '../events/accounts';
import { newIncident, type Incident } from '../incidents/incident';
import type { IncidentStore } from '../incidents/incident-store';

/**
 * Re-keying asked for by a person (the CLI) rather than by an incident's approval: an incident of its own,
 * approved by them, so the run records its progress, decisions and timeline the same way.
 */
export const operatorRekeyIncident = async (incidents: IncidentStore, keyArn: string, by: string, now: Date): Promise<Incident> => {
  const at = now.toISOString();
  const signal: Signal = {
    detector: 'operator-rekey',
    title: 'Re-key requested by an operator',
    severity: 'high',
    mitre: [],
    keyArn,
    principal: { kind: 'unknown', arn: by },
    summary: `${by} asked to re-key ${keyArn}`,
    evidence: { requestedBy: by },
    source: { eventId: `operator-${randomUUID()}`, eventName: 'RekeyRequested', eventTime: at, region: keyArn.split(':')[3] ?? 'unknown', accountId: accountOfKey(keyArn), sourceIp: undefined, userAgent: 'kms-warden cli' },
  };
  const draft = newIncident(signal, at, { priorKeyState: { state: 'Enabled', basis: 'not relevant: re-keying asked for by an operator' }, plan: [] });
  const opened = await incidents.open(draft);
  if (opened.outcome === 'grouped') throw new Error(`${by} already has an open re-key request for ${keyArn}: incident ${opened.incident.id}`);
  await incidents.recordContainment(opened.incident.id, [], at);
  return incidents.decide(opened.incident.id, 'approved', { action: 'approve-rekey', by, channel: 'cli', at });
};
