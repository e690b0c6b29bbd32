import { detectionOf, type Need, type PlanningFacts, type Signal } from '../detections';
import { accountOfKey, accountOfPrincipal } from '../events/accounts';
import { actingAccountFor, responderRolesIn } from './organization';
import { principalKey } from '../events/principal';
import { KeyNotFoundError, MemberRoleRefusedError, NotAnOrganizationAccountError } from '../errors';
import type { KeyProfile } from '../incidents/incident';
import { keyFactsFrom, trustedContainmentTags, type KeyFacts } from '../policy/key-facts';
import { priorKeyState, type PriorKeyState } from '../policy/prior-key-state';
import type { KeyPolicyHistory } from '../state/key-journal';
import type { ResponderDeps } from './responder-deps';

const isOurs = (signal: Pick<Signal, 'keyArn' | 'source'>): boolean =>
  Boolean(signal.keyArn && accountOfKey(signal.keyArn) === signal.source.accountId);

/**
 * The key's mode and protection, from its kms-warden tags as a key administrator last set them
 * (trustedContainmentTags):
 * a tag changed by anyone else counts for nothing. Keys of other accounts (an attacker's key) have no say here.
 */
const keyFactsFor = async (
  signal: Signal,
  deps: ResponderDeps,
  tags = isOurs(signal) ? tagsOf(signal.keyArn!, deps) : undefined,
): Promise<KeyFacts> => {
  if (!tags) return keyFactsFrom(undefined, {}, deps.settings);
  const [live, administrators, others] = await Promise.all([
    tags,
    deps.keySettings.administrators.history(signal.keyArn!),
    deps.keySettings.others.history(signal.keyArn!),
  ]);
  const trusted = trustedContainmentTags(
    live,
    { administrator: administrators?.current, tampered: others?.current },
    deps.settings.defaultMode,
  );
  return keyFactsFrom(signal.keyArn, trusted.tags, deps.settings, trusted.source);
};

const tagsOf = async (keyArn: string, deps: ResponderDeps): Promise<Record<string, string>> => {
  try {
    return await deps.kms.tags(keyArn);
  } catch (error) {
    if (error instanceof KeyNotFoundError) {
      deps.logger.warn('key not found while reading its tags; planning with the default mode', { keyArn });
      return {};
    }
    // An account of the organization kms-warden cannot act in (no member role there yet): the incident is still
    // recorded and people told; its steps will say what to deploy.
    if (error instanceof MemberRoleRefusedError || error instanceof NotAnOrganizationAccountError) {
      deps.logger.warn("cannot read the key's tags in its account; planning with the default mode", {
        keyArn,
        error,
      });
      return {};
    }
    throw error;
  }
};

/**
 * The key as its owners describe it, for people: aliases, description, tags. Nice to have: what cannot be read
 * is logged and left out, and planning goes on.
 */
const keyProfileFor = async (
  signal: Signal,
  deps: ResponderDeps,
  tagsRead: Promise<Record<string, string>> | undefined,
): Promise<KeyProfile | undefined> => {
  if (!tagsRead) return undefined;
  const keyArn = signal.keyArn!;
  const unread = (what: string) => (error: Error) => {
    deps.logger.warn(`could not read the key's ${what}; messages go without it`, { keyArn, error });
    return undefined;
  };
  const [aliases, status, tags] = await Promise.all([
    deps.kms.aliases(keyArn).catch(unread('aliases')),
    deps.kms.status(keyArn).catch(unread('description')),
    tagsRead.catch(unread('tags')),
  ]);
  return {
    aliases: aliases ?? [],
    description: status?.description,
    tags: Object.fromEntries(Object.entries(tags ?? {}).filter(([name]) => !name.startsWith('kms-warden:'))),
    ...(status?.multiRegion?.replicas.length ? { replicas: status.multiRegion.replicas } : {}),
    ...(status?.keyManager ? { keyManager: status.keyManager } : {}),
  };
};

/** How far back to look for the keys a leaked credential used. */
const keyUsageLookback = 7 * 86_400_000;

/**
 * The keys a principal named by a finding used recently: first what detection memory remembers, then CloudTrail's
 * event history for its access key. Only keys of the finding's own account are kept.
 */
const keysUsedBySuspect = async (
  signal: Signal,
  deps: ResponderDeps,
): Promise<Array<{ keyArn: string; key: KeyFacts }>> => {
  if (signal.keyArn) return [];
  const principal = principalKey(signal.principal.arn);
  await deps.memory.prefetch([{ principalArn: principal }]);
  const remembered = Object.keys(deps.memory.principal(principal)?.keysUsed ?? {});
  const accessKeyId = signal.principal.accessKeyId;
  const now = deps.now();
  const looked =
    deps.keyUsage && accessKeyId
      ? await deps.keyUsage.keysUsedBy(accessKeyId, new Date(now.getTime() - keyUsageLookback), now)
      : [];
  const keys = [...new Set([...remembered, ...looked])].filter(
    (keyArn) => accountOfKey(keyArn) === signal.source.accountId,
  );
  const found = await Promise.all(
    keys.map(async (keyArn) => {
      // AWS managed keys (a credential's use through S3 or EBS names them) belong to their service: left alone.
      const status = await deps.kms.status(keyArn).catch(() => undefined);
      return status?.keyManager === 'AWS' ? undefined : { keyArn, key: await keyFactsFor({ ...signal, keyArn }, deps) };
    }),
  );
  return found.filter((entry): entry is { keyArn: string; key: KeyFacts } => entry !== undefined);
};

/** What the pipeline knows before planning: the facts every plan reads, and what the detection declared it needs. */
export interface Gathered {
  prior: PriorKeyState;
  facts: PlanningFacts;
  keyProfile: KeyProfile | undefined;
  policyHistory: KeyPolicyHistory | undefined;
}

/**
 * Gathers the facts a signal's plan reads. Every plan gets the key's prior state, mode and profile; the rest only
 * when the signal's detection lists it in `needs`. Independent reads go out together: the plan waits for one round
 * trip, not several. The key's tags are read once: they give its mode to the plan and its labels to people.
 */
export const gatherFacts = async (signal: Signal, deps: ResponderDeps): Promise<Gathered> => {
  const needs: ReadonlySet<Need> = new Set(detectionOf(signal.detector)?.needs ?? []);
  const keyArn = signal.keyArn;
  const now = deps.now().toISOString();
  const tagsRead = isOurs(signal) ? tagsOf(keyArn!, deps) : undefined;
  const [history, key, policyHistory, keysUsed, keyProfile, settingsHistory] = await Promise.all([
    keyArn ? deps.keyStates.history(keyArn) : undefined,
    keyFactsFor(signal, deps, tagsRead),
    keyArn && needs.has('keyPolicyHistory') ? deps.keyPolicies.history(keyArn) : undefined,
    needs.has('keysUsedBySuspect') ? keysUsedBySuspect(signal, deps) : [],
    keyProfileFor(signal, deps, tagsRead),
    keyArn && needs.has('administratorTags') ? deps.keySettings.administrators.history(keyArn) : undefined,
  ]);
  const prior = priorKeyState(history, signal.principal, deps.settings.unknownPriorKeyState);
  const facts: PlanningFacts = {
    priorKeyState: prior,
    policyHistory,
    key,
    trustedAccounts: deps.settings.trustedAccounts,
    responderRoles: responderRolesIn(
      deps.settings,
      accountOfPrincipal(signal.principal.arn),
      keyArn ? accountOfKey(keyArn) : undefined,
      signal.source.accountId,
    ),
    breakGlass: deps.settings.breakGlass ?? [],
    ownAccount: actingAccountFor(signal, deps.settings),
    now,
    revokesPerSecond: deps.settings.revokesPerSecond,
    keysUsed,
    ...(settingsHistory ? { administratorTags: settingsHistory.current.values } : {}),
    ...(keyProfile?.keyManager === 'AWS' ? { awsManagedKey: true } : {}),
    guardDutyQuarantineSeverity: deps.settings.thresholds.guardDutyQuarantineSeverity,
  };
  return { prior, facts, keyProfile, policyHistory };
};
