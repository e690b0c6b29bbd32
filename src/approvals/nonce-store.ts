/** Where used token nonces are kept: a token works once. */
export interface NonceStore {
  /** Marks the nonce used; false when it already was (a replayed link). */
  consume(nonce: string, incidentId: string, expiresAt: number): Promise<boolean>;
  /** Whether the nonce was used: a spent link's page shows the decision, not a button. */
  spent(nonce: string): Promise<boolean>;
}
