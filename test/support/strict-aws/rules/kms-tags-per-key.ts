import { ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { regionOf } from '../emulator';
import type { StrictRule } from './rule';

type Tag = { TagKey?: string; TagValue?: string };

/**
 * A key takes at most 50 tags, and tag keys starting with aws: are reserved. KMS documents no message of its own;
 * these are the ones LocalStack matched against AWS (localstack/localstack#12142).
 */
export const kmsTagsPerKey: StrictRule = {
  id: 'kms-tags-per-key',
  says: 'a key holds at most 50 tags, counting those it has; aws: tag keys are reserved (TagException)',
  docs: [
    'https://docs.aws.amazon.com/kms/latest/APIReference/API_TagResource.html',
    'https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/allocation-tag-restrictions.html',
  ],
  operations: ['kms:CreateKey', 'kms:TagResource'],
  refuse: async ({ call, emulator, keyArn }) => {
    const tags = (call.params.Tags ?? []) as Tag[];
    const keys = tags.map((tag) => tag.TagKey ?? '');
    if (keys.some((key) => key.toLowerCase().startsWith('aws:')))
      return { code: 'TagException', message: 'Tags beginning with aws: are reserved' };
    if (new Set(keys).size !== keys.length) return { code: 'TagException', message: 'Duplicate tag keys' };
    const existing = new Set<string>();
    const key = call.action === 'TagResource' ? await keyArn() : undefined;
    if (key) {
      const { Tags = [] } = await emulator.kms(regionOf(key)).send(new ListResourceTagsCommand({ KeyId: key }));
      for (const tag of Tags) existing.add(tag.TagKey!);
    }
    const total = new Set([...existing, ...keys]).size;
    return total > 50
      ? { code: 'TagException', message: `Too many tags: the key would have ${total}, the limit is 50` }
      : undefined;
  },
};
