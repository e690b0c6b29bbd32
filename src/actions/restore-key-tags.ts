import type { Action } from './action';

export interface RestoreKeyTagsParams {
  keyArn: string;
  /** The value each tag should have (null: the tag should not be there). */
  tags: Record<string, string | null>;
}

/** Puts a key's kms-warden tags back to what a key administrator last set, or removes the ones nobody allowed set. */
export const restoreKeyTags: Action<RestoreKeyTagsParams> = {
  type: 'restore-key-tags',
  iamActions: ['kms:ListResourceTags', 'kms:TagResource', 'kms:UntagResource'],
  reversible: true,
  lane: ({ keyArn }) => `tags:${keyArn}`,
  describe: ({ keyArn, tags }) =>
    `put the kms-warden tags of ${keyArn} back as a key administrator last set them (${Object.entries(tags)
      .map(([tag, value]) => (value === null ? `remove ${tag}` : `${tag}=${value}`))
      .join(', ')})`,
  apply: async ({ keyArn, tags }, { kms }) => {
    const live = await kms.tags(keyArn);
    const before: Record<string, string | null> = {};
    const set: Record<string, string> = {};
    const remove: string[] = [];
    for (const [tag, wanted] of Object.entries(tags)) {
      const current = live[tag] ?? null;
      if (current === wanted) continue;
      before[tag] = current;
      if (wanted === null) remove.push(tag);
      else set[tag] = wanted;
    }
    if (Object.keys(before).length === 0)
      return { outcome: 'skipped', reason: 'the tags are already as a key administrator set them' };
    if (Object.keys(set).length > 0) await kms.tagKey(keyArn, set);
    if (remove.length > 0) await kms.untagKey(keyArn, remove);
    return {
      outcome: 'applied',
      before: { tags: before },
      after: { tags: Object.fromEntries(Object.keys(before).map((tag) => [tag, tags[tag] ?? null])) },
    };
  },
  undo: async ({ keyArn }, { kms }, result) => {
    if (result.outcome !== 'applied') return;
    const before = result.before.tags as Record<string, string | null>;
    const set = Object.fromEntries(
      Object.entries(before).filter((entry): entry is [string, string] => entry[1] !== null),
    );
    const remove = Object.keys(before).filter((tag) => before[tag] === null);
    if (Object.keys(set).length > 0) await kms.tagKey(keyArn, set);
    if (remove.length > 0) await kms.untagKey(keyArn, remove);
  },
};
