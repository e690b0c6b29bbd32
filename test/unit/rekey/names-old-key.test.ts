import { namesOldKey } from '../../../src/rekey/protected-resource';

const oldKey = {
  keyArn: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  aliases: ['alias/payments'],
};

describe('whether a resource names the old key', () => {
  it.each([
    ['its ARN', oldKey.keyArn, true],
    ['its bare id', '1234abcd-12ab-34cd-56ef-1234567890ab', true],
    ['one of its aliases', 'alias/payments', true],
    ['one of its aliases as an ARN', 'arn:aws:kms:us-east-1:111122223333:alias/payments', true],
    ['another key', 'arn:aws:kms:us-east-1:111122223333:key/ffffffff-12ab-34cd-56ef-1234567890ab', false],
    ['another alias', 'alias/payments-v2', false],
    ["an AWS managed key's alias", 'alias/aws/secretsmanager', false],
    ['nothing', undefined, false],
  ])('%s: %s', (_name, reference, expected) => {
    expect(namesOldKey(reference, oldKey)).toBe(expected);
  });
});
