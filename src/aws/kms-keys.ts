import {
  CancelKeyDeletionCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  KMSClient,
  KMSInvalidStateException,
  NotFoundException,
} from '@aws-sdk/client-kms';
import { KeyNotFoundError, KeyStateConflictError } from '../errors';

export interface KeyStatus {
  state: string;
  deletionDate: string | undefined;
}

const keyArnPattern = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:key\/([\w-]+)$/;

/**
 * Where a key lives. A multi-Region key has the same id in every Region, so each call goes to the client of the
 * key's own Region with the bare id, and can never land on a replica elsewhere.
 */
export const keyLocation = (keyArn: string): { region: string; keyId: string } => {
  const match = keyArnPattern.exec(keyArn);
  if (!match) throw new KeyNotFoundError(keyArn, { cause: new Error('not a KMS key ARN') });
  return { region: match[1]!, keyId: match[2]! };
};

/** The KMS calls kms-warden makes, with KMS's errors translated into named ones. */
export class KmsKeys {
  constructor(private readonly clientIn: (region: string) => KMSClient) {}

  async status(keyArn: string): Promise<KeyStatus> {
    const { KeyMetadata } = await this.call(keyArn, 'DescribeKey', (client, KeyId) =>
      client.send(new DescribeKeyCommand({ KeyId })),
    );
    return { state: KeyMetadata?.KeyState ?? 'Unknown', deletionDate: KeyMetadata?.DeletionDate?.toISOString() };
  }

  async cancelKeyDeletion(keyArn: string): Promise<void> {
    await this.call(keyArn, 'CancelKeyDeletion', (client, KeyId) => client.send(new CancelKeyDeletionCommand({ KeyId })));
  }

  async enableKey(keyArn: string): Promise<void> {
    await this.call(keyArn, 'EnableKey', (client, KeyId) => client.send(new EnableKeyCommand({ KeyId })));
  }

  async disableKey(keyArn: string): Promise<void> {
    await this.call(keyArn, 'DisableKey', (client, KeyId) => client.send(new DisableKeyCommand({ KeyId })));
  }

  private async call<T>(keyArn: string, operation: string, send: (client: KMSClient, keyId: string) => Promise<T>): Promise<T> {
    const { region, keyId } = keyLocation(keyArn);
    try {
      return await send(this.clientIn(region), keyId);
    } catch (error) {
      if (error instanceof NotFoundException) throw new KeyNotFoundError(keyArn, { cause: error });
      if (error instanceof KMSInvalidStateException) throw new KeyStateConflictError(keyArn, operation, { cause: error });
      throw error;
    }
  }
}
