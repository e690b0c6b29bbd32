import { serveApprovals } from '../../../src/local/approval-server';

describe("the local demo's approval server", () => {
  it('answers a path it cannot decode with 400, and goes on serving', async () => {
    const seen: unknown[] = [];
    const server = await serveApprovals(
      async (event) => (seen.push(event), { statusCode: 200, body: 'page' }),
      () => ({}),
    );
    try {
      const bad = await fetch(`${server.url}%ff`);
      expect(bad.status).toBe(400);
      expect(await bad.text()).toContain('cannot be read');
      const good = await fetch(`${server.url}abc.def`);
      expect(good.status).toBe(200);
      expect(seen).toEqual([expect.objectContaining({ pathParameters: { token: 'abc.def' } })]);
    } finally {
      await server.close();
    }
  });
});
