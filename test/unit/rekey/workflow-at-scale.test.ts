import { InProcessKeyPolicyLock } from '../../../src/state/policy-texts';
import { Logger } from '@aws-lambda-powertools/logger';
import { InMemoryIncidentStore } from '../../../src/incidents/in-memory-incident-store';
import { LocalRekeyWorkflow } from '../../../src/local/local-rekey-workflow';
import type { ProtectedResource, ServiceReEncrypter } from '../../../src/rekey/protected-resource';
import type { KeyReplacementPort, RekeyDeps } from '../../../src/rekey/step';
import { incidentFrom, keySnapshotOf } from '../../support/incidents';
import { record } from '../../support/records';

/**
 * The deployed definition, run by the local interpreter (which refuses any state input or output over Step Functions'
 * 256 KB, as Step Functions does), over 5,000 resources with long names: the state carries counts and the first few
 * keys; the lists stay on the incident's items.
 */
describe('re-keying 5,000 resources through the workflow definition', () => {
  it('finishes within the 256 KB state limit, with all 5,000 left at the first verification and cut over later', async () => {
    const incidents = new InMemoryIncidentStore();
    const opened = incidentFrom(record('ScheduleKeyDeletion.assumed-role'));
    const keyArn = opened.keyArn!;
    const at = new Date().toISOString();
    await incidents.open(opened);
    await incidents.recordContainment(opened.id, [], at);
    await incidents.decide(opened.id, 'approved', { action: 'approve-rekey', by: 'alice', channel: 'cli', at });

    const region = keyArn.split(':')[3]!;
    const resources: ProtectedResource[] = Array.from({ length: 5_000 }, (_, i) => ({
      service: 'ssm',
      kind: 'parameter',
      id: `/workloads/${'segment/'.repeat(30)}${i}`,
      region,
    }));
    let cutOver = false;
    const ssm: ServiceReEncrypter = {
      service: 'ssm',
      iamActions: [],
      inventoryIamActions: [],
      inventory: async () => (cutOver ? [] : resources),
      // Every one waits for a person's cutover: verification then finds all 5,000 still on the old key.
      reEncrypt: async () => ({ status: 'needs-human', detail: 'a person cuts it over', instructions: ['cut over'] }),
    };
    let keyState = 'Enabled';
    const keys: KeyReplacementPort = {
      snapshot: async () => keySnapshotOf(keyArn, { description: 'd' }),
      createReplacement: async () => `${keyArn}-replacement`,
      keyPolicy: async () => JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      putKeyPolicy: async () => undefined,
      ensureReplica: async () => {
        throw new Error('not a multi-Region key');
      },
      findKeyTagged: async () => undefined,
      ensureRotation: async () => undefined,
      retargetAlias: async () => undefined,
      state: async () => ({ state: keyState, deletionDate: undefined }),
      enable: async () => void (keyState = 'Enabled'),
      disable: async () => void (keyState = 'Disabled'),
      lastUsage: async () => null,
      scheduleDeletion: async () => ((keyState = 'PendingDeletion'), '2027-01-04T00:00:00.000Z'),
    };
    const reachedVerify: number[] = [];
    const deps: RekeyDeps = {
      incidents,
      keys,
      services: [ssm],
      notifier: { send: async () => 'm' },
      logger: new Logger({ logLevel: 'SILENT' }),
      now: () => new Date(),
      settings: { settleMinutes: 0, deletionApprovalDays: 14 },
      workflow: { resume: async () => false },
      keyPolicyLock: new InProcessKeyPolicyLock(),
    };
    const workflow = new LocalRekeyWorkflow(deps, {
      timeScale: 0,
      onState: (_incident, state) => {
        if (state === 'Verify') reachedVerify.push(Date.now());
        // People cut all 5,000 over while verification waits (nothing is on the old key any more), then give the
        // second approval.
        if (state === 'WaitForPeople') cutOver = true;
        if (state === 'WaitForDeletionApproval')
          void incidents.recordDecision(opened.id, {
            action: 'approve-deletion',
            by: 'carol',
            channel: 'cli',
            at: new Date().toISOString(),
          });
      },
    });
    const run = { incidentId: opened.id, keyArn, pendingWindowDays: 30, startedBy: 'alice' };
    await workflow.start(run);
    await workflow.finished(opened.id);

    const done = (await incidents.get(opened.id))!;
    expect(done.status).toBe('deletion-scheduled');
    expect(Object.values(done.rekey!.resources).filter((r) => r.status === 'cut-over')).toHaveLength(5_000);
    // The keys left at the first verification, as a list, would be over 256 KB: it carried a count instead.
    expect(Buffer.byteLength(JSON.stringify(resources.map((r) => r.id)))).toBeGreaterThan(262_144);
    expect(reachedVerify.length).toBeGreaterThan(0);
  }, 120_000);
});
