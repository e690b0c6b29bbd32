/** Epoch seconds, `days` after an ISO time: the TTL of an incident that was released or closed then. */
export const expiresAfter = (at: string, days: number): number => Math.floor(Date.parse(at) / 1000) + days * 86_400;
