/**
 * SDK clients, one factory each: a function's composition root calls only the ones it needs, and the bundler
 * leaves the other SDK clients out of its package. Each is built with the settings given, by default those of the
 * moment it is called (src/aws/client-settings.ts says when a client's identity is fixed, and why).
 *
 * Each factory is in a module of its own, with its client alone, and this one has them all: a root that builds a
 * client only when first needed loads that module then (a dynamic import), and nothing of the other clients.
 */
export { clientSettings, perRegion, type ClientSettings } from './client-settings';
export { cloudTrailClient } from './cloudtrail-client';
export { documentClient } from './dynamodb-client';
export { iamClient } from './iam-client';
export { kmsClients } from './kms-client';
export { lambdaClient, selfInvokeClient } from './lambda-client';
export { secretsClient } from './secrets-manager-client';
export { sfnClient } from './sfn-client';
export { snsClient } from './sns-client';
export { sqsClient } from './sqs-client';
