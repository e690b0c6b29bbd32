import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { localLambdaContext } from './lambda-context';

type HttpHandler = (
  event: unknown,
  context: unknown,
) => Promise<{ statusCode: number; headers?: Record<string, string>; body?: string }>;

/**
 * Serves the approval handler on loopback, turning each request into the API Gateway HTTP API event the deployed
 * function receives: the local demo's links and the browser test open real pages this way.
 */
export const serveApprovals = async (
  handler: HttpHandler,
  context: () => unknown,
): Promise<{ url: string; close: () => Promise<void> }> => {
  const server: Server = createServer(async (req, res) => {
    // Everything in the request is the sender's: nothing in it may stop the server (a bad escape such as %ff, a
    // malformed URL), and a request that cannot be read is answered 400.
    let path: string;
    let token: string | undefined;
    try {
      path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const match = /^\/approvals\/([^/]+)$/.exec(path);
      token = match ? decodeURIComponent(match[1]!) : undefined;
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('kms-warden local approval server: this request path cannot be read');
      return;
    }
    const method = req.method ?? 'GET';
    for await (const _chunk of req) {
      // The decision is in the path; the form's body carries nothing.
    }
    const event = {
      version: '2.0',
      routeKey: token !== undefined ? `${method} /approvals/{token}` : '$default',
      rawPath: path,
      ...(token !== undefined ? { pathParameters: { token } } : {}),
      requestContext: {
        http: {
          method,
          path,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: req.headers['user-agent'] ?? '',
        },
      },
    };
    try {
      const reply = await handler(event, context());
      res.writeHead(reply.statusCode, reply.headers ?? {});
      res.end(reply.body ?? '');
    } catch (error) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`kms-warden local approval server: ${(error as Error).message}`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/approvals/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

/**
 * The local demo's approval endpoint and its signing secret: served at once (messages carry links to it), answered by
 * the route the demo gives it once the approval deps exist.
 */
export const serveDemoApprovals = async (stage: string) => {
  let route: HttpHandler | undefined;
  const served = await serveApprovals(
    (event, context) => route!(event, context),
    () => localLambdaContext('approvals'),
  );
  let ARN: string | undefined;
  try {
    ({ ARN } = await new SecretsManagerClient({}).send(
      new CreateSecretCommand({
        Name: `kms-warden/${stage}/approval-signing`,
        SecretString: randomBytes(32).toString('hex'),
      }),
    ));
  } catch (error) {
    await served.close();
    throw error;
  }
  return {
    ...served,
    secretArn: ARN!,
    answerWith: (handler: (event: unknown) => ReturnType<HttpHandler>) => {
      route = (event) => handler(event);
    },
  };
};
