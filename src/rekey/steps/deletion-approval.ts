import { tellPeople } from '../../notify/tell-people';
import { type RekeyStep, stepInputs } from '../step';
import { incidentOf } from './incident-of';

/**
 * Whether someone approved the deletion; past the setting's days without it, the run ends and the key stays disabled.
 */
export const deletionApproval: RekeyStep<typeof stepInputs.run, { approved: boolean; expired: boolean }> = {
  name: 'deletion-approval',
  input: stepInputs.run,
  run: async ({ run }, deps) => {
    const incident = await incidentOf(run, deps);
    if ((incident.decisions ?? []).some((decision) => decision.action === 'approve-deletion'))
      return { approved: true, expired: false };
    const requested = Date.parse(incident.rekey?.deletionRequestedAt ?? deps.now().toISOString());
    const expired = deps.now().getTime() - requested > deps.settings.deletionApprovalDays * 86_400_000;
    if (expired) {
      await tellPeople(incident, deps, {
        lead: `No one approved deleting ${run.keyArn} within ${deps.settings.deletionApprovalDays} days: it stays disabled. To delete it later: aws kms schedule-key-deletion --key-id ${run.keyArn} --pending-window-in-days ${run.pendingWindowDays}`,
      });
    }
    return { approved: false, expired };
  },
};
