/**
 * Caps automatic disable-key per account per hour: past the cap, further disables are offered for approval. A
 * runaway detector or an attacker feeding events must not be able to switch off an account's keys one by one.
 */
export interface CircuitBreaker {
  /** Takes a slot for this incident in this account's current hour; the same incident again keeps its slot. */
  allowDisable(accountId: string, incidentId: string, at: Date): Promise<boolean>;
}

export class InMemoryCircuitBreaker implements CircuitBreaker {
  private readonly slots = new Map<string, Set<string>>();
  constructor(private readonly perHour: number) {}

  async allowDisable(accountId: string, incidentId: string, at: Date): Promise<boolean> {
    const key = `${accountId}#${at.toISOString().slice(0, 13)}`;
    const taken = this.slots.get(key) ?? new Set<string>();
    if (!taken.has(incidentId) && taken.size >= this.perHour) return false;
    taken.add(incidentId);
    this.slots.set(key, taken);
    return true;
  }
}
