import type { z } from 'zod';
import { createHash } from 'node:crypto';
import { tellPeople } from '../../notify/tell-people';
import { resourceKeyOf, type RekeyDeps, type RekeyRun, type RekeyStep, stepInputs } from '../step';
import { oldKeysOf, type KeySnapshot } from '../key-snapshot';
import type { RekeyProgress, ResourceEntry } from '../../incidents/incident';
import { secondsUntil } from '../waiting';
import { acknowledgementRef } from '../acknowledge';
import { signToken } from '../../notify/approval-token';
import { findProtected } from './find-protected';
import { leftForAPerson } from '../left-for-a-person';
import { incidentOf } from './incident-of';

/** How many waiting resources a message lists; the CLI shows them all. */
const shownInMessage = 20;

/**
 * What verification found, for the workflow's state: a count and the first few keys, never the whole list (thousands
 * of resources would pass Step Functions' 256 KB, and States.DataLimitExceeded is not caught by States.ALL). The list
 * is on the incident's items. `at` and `waitSeconds` time the wait that follows: for people (a task token, resumed by
 * an acknowledgement, timing out when the next inventory is due) or for the old key to settle.
 */
export type Verification =
  | { done: true }
  | { done: false; remaining: number; firstLeft: string[]; at: string; waitSeconds: number; settlingUntil?: string };

/** Signs an acknowledgement link per resource left, valid as long as the approval links; undefined without them. */
const acknowledgementLinks = async (incidentId: string, deps: RekeyDeps) => {
  if (!deps.links) return undefined;
  const secret = await deps.links.secret.bytes();
  const expiresAt = Math.floor(deps.now().getTime() / 1000) + deps.links.ttlSeconds;
  return (key: string) =>
    `${deps.links!.baseUrl}${signToken({ incidentId, action: 'acknowledge', subject: acknowledgementRef(key), expiresAt }, secret)}`;
};

/** How many of the keys left the state carries: enough to read in a failed execution, bounded whatever is left. */
const keptInState = 10;

/**
 * A wait for people lasts at least this long before verifying again by itself, whatever the settle period: each
 * round is about a dozen events of the execution's history, which Step Functions caps at 25,000
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), so days of cutover fit.
 */
const shortestWaitSeconds = 15 * 60;

/** Statuses of a resource that is still on the old key for all re-keying knows. */
const leftStatuses = new Set(['pending', 'needs-human']);

/**
 * What is left on the old key, by a new inventory of every service when one is due (at most once per settle period:
 * a bucket's inventory may be 100,000 HeadObject calls), or else by what the last one recorded on the incident's items
 * since. A due inventory records what changed: something found that was not left (it appeared after the inventory,
 * or came back) is left now, for a person; something left that is gone was cut over.
 */
const whatIsLeft = async (
  run: RekeyRun,
  snapshot: KeySnapshot,
  progress: RekeyProgress,
  deps: RekeyDeps,
  forceInventory: boolean,
): Promise<{ remaining: string[]; gaps: Record<string, string>; inventoried: boolean }> => {
  const now = deps.now();
  const at = now.toISOString();
  const settleMs = deps.settings.settleMinutes * 60_000;
  const acknowledged = (key: string) => progress.resources[key]?.status === 'acknowledged';
  const due =
    forceInventory || !progress.inventoriedAt || now.getTime() >= Date.parse(progress.inventoriedAt) + settleMs;
  if (!due) {
    const gaps = progress.inventoryGaps ?? {};
    const remaining = [
      ...Object.entries(progress.resources).flatMap(([key, r]) => (leftStatuses.has(r.status) ? [key] : [])),
      ...Object.keys(gaps)
        .map((service) => `inventory:${service}`)
        .filter((key) => !acknowledged(key)),
    ].sort();
    return { remaining, gaps, inventoried: false };
  }
  const found = await findProtected(snapshot, deps);
  const foundKeys = new Set(found.resources.map(resourceKeyOf));
  const changed: ResourceEntry[] = [];
  for (const resource of found.resources) {
    const key = resourceKeyOf(resource);
    const recorded = progress.resources[key];
    if (recorded && (leftStatuses.has(recorded.status) || recorded.status === 'acknowledged')) continue;
    changed.push(
      leftForAPerson(
        resource,
        {
          detail: recorded
            ? `still on the old key at verification (was: ${recorded.detail})`
            : 'found on the old key at verification: it appeared after the inventory',
          instructions: [
            `Move it to the replacement key, or acknowledge that it stays on the old key: npx kms-warden rekey ack ${run.incidentId} ${key} --why "..." --yes`,
          ],
        },
        at,
      ),
    );
  }
  // What waited for a person and is no longer on the old key was cut over: recorded, so the record says so. Not for
  // a service this inventory could not list: not found there proves nothing (a refused or throttled listing).
  for (const [key, resource] of Object.entries(progress.resources)) {
    if (resource.status !== 'needs-human' || foundKeys.has(key) || key.startsWith('kms:')) continue;
    if (found.gaps[resource.service] !== undefined) continue;
    changed.push([
      key,
      { ...resource, status: 'cut-over', detail: `no longer on the old key (was: ${resource.detail})`, at },
    ]);
  }
  await deps.incidents.recordResources(run.incidentId, changed);
  await deps.incidents.recordRekey(run.incidentId, { inventoriedAt: at, inventoryGaps: found.gaps }, at, null);
  const remaining = [
    ...[...foundKeys].filter((key) => !acknowledged(key)),
    // What waits for a person that this inventory cannot have seen gone: a replica Region's resources, and those of
    // a service it could not list.
    ...Object.entries(progress.resources).flatMap(([key, r]) =>
      r.status === 'needs-human' &&
      !foundKeys.has(key) &&
      (key.startsWith('kms:') || found.gaps[r.service] !== undefined)
        ? [key]
        : [],
    ),
    ...Object.keys(found.gaps)
      .map((service) => `inventory:${service}`)
      .filter((key) => !acknowledged(key)),
  ].sort();
  return { remaining, gaps: found.gaps, inventoried: true };
};

/**
 * Nothing may be left on the old key but what a person acknowledged, and no service may have gone unlisted. Then the
 * old key is disabled (if it is not already) and must stay unused for the settle period; only an inventory after that
 * passes verification, and the incident is re-keyed. People are told what is left each time that changes, with what
 * to do.
 */
export const verify: RekeyStep<typeof stepInputs.runSnapshotAndReplacement, Verification> = {
  name: 'verify',
  input: stepInputs.runSnapshotAndReplacement,
  run: (input, deps) => verifyRekey(input, deps),
};

/**
 * Verification, as the step runs it, or with a new inventory whatever the last one was (`forceInventory`: scheduling
 * the deletion, which may come days after the last one and must not take the records' word for it).
 */
export const verifyRekey = async (
  { run, snapshot }: z.output<typeof stepInputs.runSnapshotAndReplacement>,
  deps: RekeyDeps,
  { forceInventory = false }: { forceInventory?: boolean } = {},
): Promise<Verification> => {
  {
    // Before anything is read: an acknowledgement made while this looks is after `at`, so the wait that follows
    // finds it and resumes itself (steps/await-people.ts).
    const at = deps.now().toISOString();
    let incident = await incidentOf(run, deps);
    const progress = incident.rekey!;
    const { remaining, gaps, inventoried } = await whatIsLeft(run, snapshot, progress, deps, forceInventory);
    const now = deps.now();
    // When things change from here on (disabled, verified): after the inventory, which may have taken minutes.
    const changedAt = now.toISOString();
    const settleMs = deps.settings.settleMinutes * 60_000;
    const inventoryDue = Date.parse(inventoried ? now.toISOString() : progress.inventoriedAt!) + settleMs;

    if (remaining.length > 0) {
      const report = createHash('sha256').update(remaining.join('\n')).digest('hex').slice(0, 16);
      if (report !== progress.remainingReported) {
        // An inventory records what it found: read again, so the message says what the items say now.
        if (inventoried) incident = await incidentOf(run, deps);
        const recordedNow = incident.rekey!.resources;
        // Each with a link to acknowledge it (a page that shows it and asks why), where an approval endpoint is set.
        const ackUrl = await acknowledgementLinks(incident.id, deps);
        const waiting = remaining.slice(0, shownInMessage).map((key) => {
          const recorded = recordedNow[key];
          const line =
            `${key}: ${recorded ? `${recorded.status}, ${recorded.detail}${recorded.instructions ? `; ${recorded.instructions.join(' ')}` : ''}` : (gaps[key.slice('inventory:'.length)] ?? 'found on the old key')}`.slice(
              0,
              2000,
            );
          return ackUrl ? `${line}\n  acknowledge it: ${ackUrl(key)}` : line;
        });
        const more =
          remaining.length > shownInMessage
            ? `\n...and ${remaining.length - shownInMessage} more: npx kms-warden rekey status ${incident.id}`
            : '';
        // Told first, then recorded: if telling fails, the retry tells again rather than never.
        await tellPeople(incident, deps, {
          lead: `Re-keying waits for people: ${remaining.length} left on the old key. Do what each says, or acknowledge it (its link, or the CLI); verification runs again by itself.\n${waiting.join('\n')}${more}`,
        });
        incident = await deps.incidents.recordRekey(
          incident.id,
          { remainingReported: report },
          at,
          `verification: ${remaining.length} left on the old key`,
        );
      }
      return {
        done: false,
        remaining: remaining.length,
        firstLeft: remaining.slice(0, keptInState),
        at,
        waitSeconds: secondsUntil(inventoryDue, now, shortestWaitSeconds),
      };
    }

    // Disabled now, and again if someone enabled it: the settle period counts from the last time it was disabled. A
    // multi-Region key's replicas are keys of their own (a disabled primary leaves them enabled): each one too.
    const oldKeys = oldKeysOf(snapshot);
    const states = await Promise.all(oldKeys.map((old) => deps.keys.state(old.keyArn)));
    for (const [i, old] of oldKeys.entries()) if (states[i]!.state === 'Enabled') await deps.keys.disable(old.keyArn);
    const key = { state: states.some((s) => s.state === 'Enabled') ? 'Enabled' : states[0]!.state };
    const uses = await Promise.all(oldKeys.map((old) => deps.keys.lastUsage(old.keyArn)));
    // The latest use of any of them; unknown (undefined) where the last use cannot be read, never "never".
    const lastUse = uses.includes(undefined)
      ? undefined
      : uses.reduce<(typeof uses)[number]>(
          (latest, use) => (use && (!latest || use.at > latest.at) ? use : latest),
          null,
        );
    // Used since it was disabled: someone enabled it and something used it. Disabled again now (by a person or by the
    // line above), the settle period starts over, so verification cannot pass on the old disabling.
    const usedSince = Boolean(lastUse && progress.oldKeyDisabledAt && lastUse.at > progress.oldKeyDisabledAt);
    const disabledAt =
      key.state === 'Enabled' || usedSince || !progress.oldKeyDisabledAt ? changedAt : progress.oldKeyDisabledAt;
    if (usedSince) {
      await tellPeople(incident, deps, {
        lead: `The old key was used after re-keying disabled it (${lastUse!.operation} at ${lastUse!.at}, CloudTrail event ${lastUse!.eventId ?? 'unknown'}): something still depends on it. It is disabled again; find what used it and move it. Verification waits ${deps.settings.settleMinutes} minutes from now.`,
      });
    }
    if (disabledAt !== progress.oldKeyDisabledAt) {
      incident = await deps.incidents.recordRekey(
        incident.id,
        { oldKeyDisabledAt: disabledAt, ...(lastUse ? { lastUsedAt: lastUse.at } : {}) },
        changedAt,
        'old key disabled: anything still using it fails now, and shows',
      );
    }
    // Passed only on an inventory made once the key has settled: what the records say is not enough.
    const settledAt = Date.parse(disabledAt) + settleMs;
    if (now.getTime() < settledAt || !inventoried) {
      const until = Math.max(settledAt, inventoryDue);
      return {
        done: false,
        remaining: 0,
        firstLeft: [],
        at,
        waitSeconds: secondsUntil(until, now),
        settlingUntil: new Date(until).toISOString(),
      };
    }

    incident = await deps.incidents.recordRekey(
      incident.id,
      { verifiedAt: changedAt, lastUsedAt: lastUse === undefined ? 'unknown' : (lastUse?.at ?? 'never') },
      changedAt,
      'verified: nothing left on the old key, disabled and settled',
    );
    if (incident.status === 're-keying')
      incident = await deps.incidents.advance(
        incident.id,
        're-keyed',
        changedAt,
        'every resource is on the replacement key',
      );
    return { done: true };
  }
};
