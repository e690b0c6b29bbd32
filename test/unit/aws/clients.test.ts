import { createClients } from '../../../src/aws/clients';

describe('AWS clients', () => {
  it('retry throttling with backoff, five attempts, and give KMS a client per Region', async () => {
    const clients = createClients();
    const east = clients.kmsIn('us-east-1');
    expect(await east.config.maxAttempts()).toBe(5);
    expect(await east.config.region()).toBe('us-east-1');
    expect(clients.kmsIn('us-east-1')).toBe(east);
    expect(await clients.kmsIn('eu-west-1').config.region()).toBe('eu-west-1');
    expect(await clients.iam.config.maxAttempts()).toBe(5);
  });
});
