import { S3Client } from '@aws-sdk/client-s3';
import { clientSettings } from '../aws/clients';
import { S3CloudTrailArchive } from '../aws/s3-cloudtrail-archive';

/**
 * Replay's composition root (the CLI and each of its worker threads): the CloudTrail bucket it reads. A bucket may
 * be in any Region: the client starts in the CLI's Region (us-east-1 when none is set) and follows S3's redirect to
 * the bucket's own.
 */
export const cloudTrailArchive = () => {
  const settings = clientSettings();
  return new S3CloudTrailArchive(
    new S3Client({
      ...settings,
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      followRegionRedirects: true,
      forcePathStyle: Boolean(settings.endpoint),
    }),
  );
};
