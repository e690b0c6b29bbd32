import { Logger } from '@aws-lambda-powertools/logger';

/** One logger per process; the service name tags every line. Level from POWERTOOLS_LOG_LEVEL. */
export const logger = new Logger({ serviceName: 'kms-warden' });
