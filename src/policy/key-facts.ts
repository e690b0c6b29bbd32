/** What a key's owners said about it, in its tags, and what the settings add. */
export type KeyMode = 'observe' | 'contain' | 'lockdown';

export const modeTag = 'kms-warden:mode';
export const protectedTag = 'kms-warden:protected';
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
): KeyFacts => {
  const tagged = tags[modeTag]?.trim().toLowerCase();
  const mode = modes.includes(tagged as KeyMode) ? (tagged as KeyMode) : settings.defaultMode;
  return {
    mode,
    modeSource: modes.includes(tagged as KeyMode) ? `tag ${modeTag}=${tagged}` : tagged ? `tag ${modeTag}=${tagged} is not a mode; default ${mode}` : `default ${mode}`,
    protected: tags[protectedTag]?.trim().toLowerCase() === 'true' || (keyArn !== undefined && settings.protectedKeys.includes(keyArn)),
  };
};
