import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * A secret read from Secrets Manager once per container and kept for a while: every approval click would otherwise
 * pay a Secrets Manager call. A rotated secret is picked up when the cache expires.
 */
export class CachedSecret {
  private value: { bytes: Buffer; until: number } | undefined;

  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly minimumBytes: number;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    /**
     * minimumBytes: a shorter secret is refused. Signing keys need 32; Slack's signing secrets and URLs are shorter.
     */
    options: { ttlMs?: number; now?: () => number; minimumBytes?: number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.minimumBytes = options.minimumBytes ?? 32;
  }

  async bytes(): Promise<Buffer> {
    if (this.value && this.value.until > this.now()) return this.value.bytes;
    const { SecretString, SecretBinary } = await this.client.send(
      new GetSecretValueCommand({ SecretId: this.secretId }),
    );
    const bytes = SecretBinary ? Buffer.from(SecretBinary) : Buffer.from(SecretString ?? '', 'utf8');
    if (bytes.length < this.minimumBytes)
      throw new Error(`secret ${this.secretId} is shorter than ${this.minimumBytes} bytes: refusing to use it`);
    this.value = { bytes, until: this.now() + this.ttlMs };
    return bytes;
  }
}
