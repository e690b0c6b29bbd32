import { S3Client } from '@aws-sdk/client-s3';
import { clientSettings } from '../aws/clients';
import { S3CloudTrailArchive } from '../aws/s3-cloudtrail-archive';

/**
 * Replay's composition root (the CLI and each of its worker threads): the CloudTrail bucket it reads, with a client in
 * the bucket's Region when known (S3CloudTrailArchive.regionOf). Without it, the client starts in the CLI's Region
 * (us-east-1 when none is set) and follows S3's redirect to the bucket's own.
 */
export const cloudTrailArchive = (bucketRegion?: string) => {
  const settings = clientSettings();
  return new S3CloudTrailArchive(
    new S3Client({
      ...settings,
      region: bucketRegion ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      followRegionRedirects: true,
      forcePathStyle: Boolean(settings.endpoint),
    }),
  );
};
