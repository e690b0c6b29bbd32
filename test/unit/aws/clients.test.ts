import { iamClient, kmsClients } from '../../../src/aws/clients';

describe('AWS clients', () => {
  it('retry throttling with backoff, five attempts, and give KMS a client per Region', async () => {
    const kmsIn = kmsClients();
    const east = kmsIn('us-east-1');
    expect(await east.config.maxAttempts()).toBe(5);
    expect(await east.config.region()).toBe('us-east-1');
    expect(kmsIn('us-east-1')).toBe(east);
    expect(await kmsIn('eu-west-1').config.region()).toBe('eu-west-1');
    expect(await iamClient().config.maxAttempts()).toBe(5);
  });
});
