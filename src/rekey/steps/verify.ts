import { createHash } from 'node:crypto';
import { tellPeople } from '../../notify/tell-people';
import { resourceKeyOf, type RekeyStep, stepInputs } from '../step';
import { findProtected } from './find-protected';
import { incidentOf } from './incident-of';

/** How many waiting resources a message lists; the CLI shows them all. */
const shownInMessage = 20;

/**
 * What verification found, for the workflow's state: a count and the first few keys, never the whole list (thousands
 * of resources would pass Step Functions' 256 KB, and States.DataLimitExceeded is not caught by States.ALL). The list
 * is on the incident's items.
 */
export type Verification =
  { done: true } | { done: false; remaining: number; firstLeft: string[]; settlingUntil?: string };

/** How many of the keys left the state carries: enough to read in a failed execution, bounded whatever is left. */
const keptInState = 10;

/**
 * Inventories again: nothing may be left on the old key but what a person acknowledged, and no service may have
 * gone unlisted. Then the old key is disabled (if it is not already) and must stay unused for the settle period.
 * Only then is the incident re-keyed. People are told what is left each time that changes, with what to do.
 */
export const verify: RekeyStep<typeof stepInputs.runSnapshotAndReplacement, Verification> = {
  name: 'verify',
  input: stepInputs.runSnapshotAndReplacement,
  run: async ({ run, snapshot }, deps) => {
    let incident = await incidentOf(run, deps);
    const progress = incident.rekey!;
    const acknowledged = new Set(
      Object.entries(progress.resources).flatMap(([key, p]) => (p.status === 'acknowledged' ? [key] : [])),
    );
    const found = await findProtected(snapshot, deps);
    const remaining = [
      ...found.resources.map(resourceKeyOf).filter((key) => !acknowledged.has(key)),
      ...Object.keys(found.gaps)
        .map((service) => `inventory:${service}`)
        .filter((key) => !acknowledged.has(key)),
    ].sort();
    const at = deps.now().toISOString();

    if (remaining.length > 0) {
      const report = createHash('sha256').update(remaining.join('\n')).digest('hex').slice(0, 16);
      if (report !== progress.remainingReported) {
        const waiting = remaining.slice(0, shownInMessage).map((key) => {
          const recorded = progress.resources[key];
          return `${key}: ${recorded ? `${recorded.status}, ${recorded.detail}${recorded.instructions ? `; ${recorded.instructions.join(' ')}` : ''}` : (found.gaps[key.slice('inventory:'.length)] ?? 'found on the old key')}`.slice(
            0,
            2000,
          );
        });
        const more =
          remaining.length > shownInMessage
            ? `\n...and ${remaining.length - shownInMessage} more: npx kms-warden rekey status ${incident.id}`
            : '';
        // Told first, then recorded: if telling fails, the retry tells again rather than never.
        await tellPeople(incident, deps, {
          lead: `Re-keying waits for people: ${remaining.length} left on the old key. Do what each says, or acknowledge it with the CLI; verification runs again by itself.\n${waiting.join('\n')}${more}`,
        });
        incident = await deps.incidents.recordRekey(
          incident.id,
          { remainingReported: report, inventoryGaps: found.gaps },
          at,
          `verification: ${remaining.length} left on the old key`,
        );
      }
      return { done: false, remaining: remaining.length, firstLeft: remaining.slice(0, keptInState) };
    }

    // What waited for a person and is no longer on the old key was cut over: recorded, so the record says so.
    const stillThere = new Set(found.resources.map(resourceKeyOf));
    for (const [key, resource] of Object.entries(progress.resources)) {
      if (resource.status !== 'needs-human' || stillThere.has(key) || key.startsWith('kms:')) continue;
      await deps.incidents.recordResource(incident.id, key, {
        ...resource,
        status: 'cut-over',
        detail: `no longer on the old key (was: ${resource.detail})`,
        at,
      });
    }

    // Disabled now, and again if someone enabled it: the settle period counts from the last time it was disabled.
    const key = await deps.keys.state(snapshot.keyArn);
    if (key.state === 'Enabled') await deps.keys.disable(snapshot.keyArn);
    const lastUse = await deps.keys.lastUsage(snapshot.keyArn);
    // Used since it was disabled: someone enabled it and something used it. Disabled again now (by a person or by the
    // line above), the settle period starts over, so verification cannot pass on the old disabling.
    const usedSince = Boolean(lastUse && progress.oldKeyDisabledAt && lastUse.at > progress.oldKeyDisabledAt);
    const disabledAt =
      key.state === 'Enabled' || usedSince || !progress.oldKeyDisabledAt ? at : progress.oldKeyDisabledAt;
    if (usedSince) {
      await tellPeople(incident, deps, {
        lead: `The old key was used after re-keying disabled it (${lastUse!.operation} at ${lastUse!.at}, CloudTrail event ${lastUse!.eventId ?? 'unknown'}): something still depends on it. It is disabled again; find what used it and move it. Verification waits ${deps.settings.settleMinutes} minutes from now.`,
      });
    }
    if (disabledAt !== progress.oldKeyDisabledAt) {
      incident = await deps.incidents.recordRekey(
        incident.id,
        { oldKeyDisabledAt: disabledAt, ...(lastUse ? { lastUsedAt: lastUse.at } : {}) },
        at,
        'old key disabled: anything still using it fails now, and shows',
      );
    }
    const settledAt = new Date(Date.parse(disabledAt) + deps.settings.settleMinutes * 60_000);
    if (deps.now() < settledAt)
      return { done: false, remaining: 0, firstLeft: [], settlingUntil: settledAt.toISOString() };

    incident = await deps.incidents.recordRekey(
      incident.id,
      { verifiedAt: at, lastUsedAt: lastUse === undefined ? 'unknown' : (lastUse?.at ?? 'never') },
      at,
      'verified: nothing left on the old key, disabled and settled',
    );
    if (incident.status === 're-keying')
      incident = await deps.incidents.advance(incident.id, 're-keyed', at, 'every resource is on the replacement key');
    return { done: true };
  },
};
