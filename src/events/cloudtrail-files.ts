import { basename } from 'node:path';

// How CloudTrail names and delivers its log files: what replay and the bucket adapter both read.

/** Records kept: eventTime at or after `since` and before `until` (epoch ms), each when given. */
export interface TimeWindow {
  since?: number | undefined;
  until?: number | undefined;
}

/**
 * How long after a call its log file may be delivered. CloudTrail delivers within about 5 minutes on average, with no
 * guarantee, and "a log file delivered at a specific time can contain records written at any point before that time"
 * (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html): files delivered up
 * to this long after `until` are read, and their records filtered by time.
 */
export const deliveryAllowanceMs = 60 * 60_000;

const deliveryStamp = /_CloudTrail_[a-z0-9-]+_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z_/;

/** When CloudTrail delivered a file, from the name it gave it (ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE). */
export const deliveredAt = (name: string): number | undefined => {
  const match = deliveryStamp.exec(basename(name));
  if (!match) return undefined;
  const [, year, month, day, hour, minute] = match.map(Number) as [number, number, number, number, number, number];
  return Date.UTC(year, month - 1, day, hour, minute);
};

/**
 * Whether a file may hold records of the window: delivered after `since` (its name gives the minute, so within the
 * minute after it), and not long after `until`.
 */
export const within = (file: { deliveredAt?: number | undefined }, window: TimeWindow): boolean =>
  file.deliveredAt === undefined ||
  ((window.since === undefined || file.deliveredAt + 60_000 > window.since) &&
    (window.until === undefined || file.deliveredAt <= window.until + deliveryAllowanceMs));
