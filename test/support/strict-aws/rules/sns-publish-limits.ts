import type { StrictRule } from './rule';

/**
 * Publish refuses a subject of 100 characters or more, or one with a line break or a control character, and a
 * message over 256 KB (262,144 bytes). moto takes both; an email subject built from a key's description would then
 * lose the whole message in AWS.
 */
export const snsPublishLimits: StrictRule = {
  id: 'sns-publish-limits',
  says: 'a subject is under 100 characters with no line break or control character, a message at most 262,144 bytes (InvalidParameter)',
  docs: ['https://docs.aws.amazon.com/sns/latest/api/API_Publish.html'],
  operations: ['sns:Publish'],
  refuse: async ({ call }) => {
    const { Subject: subject, Message: message } = call.params as { Subject?: string; Message?: string };
    // eslint-disable-next-line no-control-regex
    if (subject !== undefined && (subject.length >= 100 || /[\u0000-\u001f\u007f]/.test(subject)))
      return {
        code: 'InvalidParameter',
        message: 'Invalid parameter: Subject',
      };
    if (typeof message === 'string' && Buffer.byteLength(message, 'utf8') > 262_144)
      return {
        code: 'InvalidParameter',
        message: 'Invalid parameter: Message too long',
      };
    return undefined;
  },
};
