/**
 * Approval tokens live with the links that carry them (src/notify/approval-token.ts); the endpoint verifies them.
 * Kept here for importers outside this change (src/cli, the browser test).
 */
export { signToken, verifyToken, type ApprovalAction, type TokenCheck, type TokenClaims, type TokenRefusal } from '../notify/approval-token';
