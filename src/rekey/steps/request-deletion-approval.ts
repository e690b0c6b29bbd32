import { tellPeople } from '../../notify/tell-people';
import { type RekeyStep, stepInputs } from '../step';
import { incidentOf } from './incident-of';

/** Asks people, once, to approve scheduling the old key's deletion: a second approval, after verification. */
export const requestDeletionApproval: RekeyStep<typeof stepInputs.runAndReplacement, Record<string, never>> = {
  name: 'request-deletion-approval',
  input: stepInputs.runAndReplacement,
  run: async ({ run, replacement }, deps) => {
    const before = await incidentOf(run, deps);
    if (before.rekey?.deletionRequestedAt) return {};
    const at = deps.now().toISOString();
    // Recorded first (the link is offered only once asked for), then told; a failure to tell is retried by the step,
    // and the reminder function goes on offering the link while the incident waits.
    const incident = await deps.incidents.recordRekey(
      before.id,
      { deletionRequestedAt: at },
      at,
      'deletion approval requested',
    );
    await tellPeople(incident, deps, {
      lead:
        `Re-keyed: every resource is on ${replacement.keyArn} and ${run.keyArn} is disabled and unused. ` +
        `Approve scheduling its deletion (a ${run.pendingWindowDays}-day waiting period, cancellable until then), or leave it disabled.`,
    });
    return {};
  },
};
