/** What a key's owners said about it, in its tags, and what the settings add. */
export type KeyMode = 'observe' | 'contain' | 'lockdown';

export const modeTag = 'kms-warden:mode';
export const protectedTag = 'kms-warden:protected';
/** Tags that steer kms-warden: only a key administrator may set them (containment-tag-changed). */
// Tag keys are case-sensitive in KMS and in IAM's aws:TagKeys: Kms-Warden:mode is another tag, and steers nothing.
export const isContainmentTag = (tag: string) => tag.startsWith('kms-warden:');

/**
 * The kms-warden:* tags a TagResource or UntagResource call changed, as CloudTrail records its request: the value
 * set, or null for a tag removed.
 */
export const containmentTagsChanged = (
  eventName: string,
  request: Record<string, unknown>,
): Record<string, string | null> => {
  const changed: Record<string, string | null> = {};
  // Tags given when a key is made (CreateKey, ReplicateKey) set kms-warden's settings as TagResource does.
  if (['TagResource', 'CreateKey', 'ReplicateKey'].includes(eventName) && Array.isArray(request.tags)) {
    for (const tag of request.tags as Array<{ tagKey?: unknown; tagValue?: unknown }>) {
      if (typeof tag?.tagKey === 'string' && isContainmentTag(tag.tagKey))
        changed[tag.tagKey] = typeof tag.tagValue === 'string' ? tag.tagValue : '';
    }
  }
  if (eventName === 'UntagResource' && Array.isArray(request.tagKeys)) {
    for (const key of request.tagKeys) if (typeof key === 'string' && isContainmentTag(key)) changed[key] = null;
  }
  return changed;
};

const strictness: Record<string, number> = { observe: 0, contain: 1, lockdown: 2 };

/**
 * The kms-warden tags to plan with. A key administrator's last settings (journaled) win over the live tags; after a
 * change by anyone else, the live tags count for nothing, as the changer may be the attacker: the administrator's
 * settings, or the defaults. And, failing closed whatever the order events arrive in: a mode weaker than the
 * default (observe) counts only when a key administrator set exactly that value, since an attacker can tag a key
 * and act on it before kms-warden sees the tag event. `protected` is taken from the live tags: ignoring it could
 * disable a production key on its own, and it never stops the suspect's isolation.
 */
export const trustedContainmentTags = (
  live: Record<string, string>,
  journal: {
    administrator?: { eventTime: string; values: Record<string, string | null> } | undefined;
    tampered?: { eventTime: string } | undefined;
  },
  defaultMode: KeyMode = 'contain',
): { tags: Record<string, string>; source?: string } => {
  const trusted = trustedBeforeFailingClosed(live, journal);
  const mode = trusted.tags[modeTag]?.trim().toLowerCase();
  const setByAdministrator = journal.administrator?.values[modeTag]?.trim().toLowerCase();
  if (
    mode === undefined ||
    !(mode in strictness) ||
    strictness[mode]! >= strictness[defaultMode]! ||
    setByAdministrator === mode
  )
    return trusted;
  const { [modeTag]: _weaker, ...rest } = trusted.tags;
  return {
    tags: rest,
    source: `${modeTag}=${mode} is weaker than the default and no key administrator set it: the default applies`,
  };
};

const trustedBeforeFailingClosed = (
  live: Record<string, string>,
  journal: {
    administrator?: { eventTime: string; values: Record<string, string | null> } | undefined;
    tampered?: { eventTime: string } | undefined;
  },
): { tags: Record<string, string>; source?: string } => {
  const { administrator, tampered } = journal;
  const others = Object.fromEntries(Object.entries(live).filter(([tag]) => !isContainmentTag(tag)));
  const fromAdministrator = Object.fromEntries(
    Object.entries(administrator?.values ?? {}).filter((entry): entry is [string, string] => entry[1] !== null),
  );
  if (tampered && (!administrator || tampered.eventTime >= administrator.eventTime)) {
    return {
      tags: { ...others, ...fromAdministrator },
      source: `changed at ${tampered.eventTime} by someone who is not a key administrator: ${administrator ? 'the settings a key administrator last set' : 'the defaults'} apply`,
    };
  }
  if (!administrator) return { tags: live };
  const untouched = Object.fromEntries(
    Object.entries(live).filter(([tag]) => isContainmentTag(tag) && !(tag in administrator.values)),
  );
  return { tags: { ...others, ...untouched, ...fromAdministrator } };
};
const modes: readonly KeyMode[] = ['observe', 'contain', 'lockdown'];

export interface KeyFacts {
  mode: KeyMode;
  /** Never disabled automatically. */
  protected: boolean;
  /** Why the mode is what it is, for the incident. */
  modeSource: string;
}

export const keyFactsFrom = (
  keyArn: string | undefined,
  tags: Record<string, string>,
  settings: { defaultMode: KeyMode; protectedKeys: readonly string[] },
  /** Why the tags are not the live ones, when they are not. */
  tagSource?: string,
): KeyFacts => {
  const tagged = tags[modeTag]?.trim().toLowerCase();
  const mode = modes.includes(tagged as KeyMode) ? (tagged as KeyMode) : settings.defaultMode;
  const source = modes.includes(tagged as KeyMode)
    ? `tag ${modeTag}=${tagged}`
    : tagged
      ? `tag ${modeTag}=${tagged} is not a mode; default ${mode}`
      : `default ${mode}`;
  return {
    mode,
    modeSource: tagSource ? `${source} (kms-warden tags ${tagSource})` : source,
    protected:
      tags[protectedTag]?.trim().toLowerCase() === 'true' ||
      (keyArn !== undefined && settings.protectedKeys.includes(keyArn)),
  };
};
