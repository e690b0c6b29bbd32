import { IAMClient } from '@aws-sdk/client-iam';
import { clientSettings, type ClientSettings } from './client-settings';

/** IAM is global: its endpoint does not depend on the function's Region. */
export const iamClient = (settings: ClientSettings = clientSettings()) => new IAMClient(settings);
