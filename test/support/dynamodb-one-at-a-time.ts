import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback proxy in front of moto that lets DynamoDB requests through one at a time.
 *
 * DynamoDB evaluates a conditional write and applies it atomically: of two writes racing on one item, the second
 * sees the first. moto_server answers requests on several threads and its DynamoDB backend takes no lock, so two
 * racing conditional writes can both pass their condition there (a race test then fails one run in many, for the
 * emulator's reason, not ours). Serialising DynamoDB requests restores the guarantee the code relies on, without
 * changing the order in which the code under test sends them. Every other service passes straight through.
 */
export const dynamoDbOneAtATime = async (motoEndpoint: string): Promise<{ endpoint: string; close(): Promise<void> }> => {
  const target = new URL(motoEndpoint);
  let queue: Promise<void> = Promise.resolve();

  /** Forwards one request; settles once, however it ends (answered, failed, timed out, or the client gone). */
  const forward = (incoming: IncomingMessage, outgoing: ServerResponse) =>
    new Promise<void>((done) => {
      let settled = false;
      const finish = () => {
        if (!settled) {
          settled = true;
          done();
        }
      };
      const upstream = request(
        { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
        (reply) => {
          outgoing.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(outgoing);
          reply.on('end', finish);
          reply.on('error', finish);
        },
      );
      // A client that gave up must not hold the queue: the next request goes on.
      outgoing.on('close', () => {
        upstream.destroy();
        finish();
      });
      upstream.setTimeout(30_000, () => upstream.destroy(new Error('moto did not answer within 30 s')));
      upstream.on('error', (error) => {
        if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'text/plain' });
        outgoing.end(`proxy to moto failed: ${error.message}`);
        finish();
      });
      incoming.pipe(upstream);
    });

  const server: Server = createServer((incoming, outgoing) => {
    const isDynamoDb = String(incoming.headers['x-amz-target'] ?? '').startsWith('DynamoDB_');
    if (!isDynamoDb) {
      void forward(incoming, outgoing);
      return;
    }
    incoming.pause();
    queue = queue.then(() => {
      incoming.resume();
      return forward(incoming, outgoing);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
