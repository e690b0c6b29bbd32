import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** One request to an AWS API, as the strict layer reads it off the wire. */
export interface AwsCall {
  /** The signing name from the credential scope: 'kms', 'dynamodb', 'iam', 's3', ... (IAM's action prefix too). */
  service: string;
  /** The API operation ('PutKeyPolicy'); '' for REST services, whose operation the layer does not work out. */
  action: string;
  region: string;
  accessKeyId: string | undefined;
  protocol: 'json' | 'query' | 'rest' | 'unsigned';
  /** JSON protocol: the parsed body. Query protocol: the form fields, flat ('Tags.member.1.Key'). REST: {}. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- request shapes differ per operation
  params: Record<string, any>;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const between = (text: string, start: string, end: string) => {
  const from = text.indexOf(start);
  if (from < 0) return undefined;
  const rest = text.slice(from + start.length);
  const to = rest.indexOf(end);
  return to < 0 ? rest : rest.slice(0, to);
};

/** Reads service, operation, Region, caller key and parameters from a signed request. */
export const readCall = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): AwsCall => {
  const authorization = String(headers.authorization ?? '');
  const scope = between(authorization, 'Credential=', ',')?.split('/') ?? [];
  const [accessKeyId, , region = 'us-east-1', service = ''] = scope;
  const target = headers['x-amz-target'] ? String(headers['x-amz-target']) : undefined;
  const base = { service, region, accessKeyId, method, path, headers, body };
  if (!authorization) return { ...base, action: '', protocol: 'unsigned', params: {} };
  if (target) {
    let params = {};
    try {
      params = body.length ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      // A body the service would refuse as malformed: moto answers it.
    }
    return { ...base, action: target.slice(target.lastIndexOf('.') + 1), protocol: 'json', params };
  }
  const contentType = String(headers['content-type'] ?? '');
  if (method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
    const params = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    return { ...base, action: params.Action ?? '', protocol: 'query', params };
  }
  return { ...base, action: '', protocol: 'rest', params: {} };
};

/** A refusal in the shape the service answers with, so the SDK raises the named exception the code must handle. */
export interface Refusal {
  code: string;
  message: string;
  status?: number;
}

/** Query-protocol services that answer errors as <Response><Errors> (EC2) rather than <ErrorResponse>. */
const ec2Style = new Set(['ec2']);

export const errorResponse = (
  call: Pick<AwsCall, 'protocol' | 'service'>,
  refusal: Refusal,
): { status: number; headers: Record<string, string>; body: string } => {
  const status = refusal.status ?? 400;
  const requestId = randomUUID();
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (call.protocol === 'json') {
    return {
      status,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': refusal.code,
        'x-amzn-requestid': requestId,
      },
      body: JSON.stringify({ __type: refusal.code, message: refusal.message }),
    };
  }
  if (call.protocol === 'rest') {
    return {
      status,
      headers: { 'content-type': 'application/xml', 'x-amzn-errortype': refusal.code, 'x-amz-request-id': requestId },
      body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${refusal.code}</Code><Message>${escape(refusal.message)}</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  }
  const body = ec2Style.has(call.service)
    ? `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${refusal.code}</Code><Message>${escape(refusal.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
    : `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${refusal.code}</Code><Message>${escape(refusal.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
};

/** What each service calls a refusal by IAM (its AccessDenied error), and the HTTP status it comes with. */
export const accessDeniedCode = (service: string): Refusal['code'] =>
  ({
    iam: 'AccessDenied',
    sts: 'AccessDenied',
    rds: 'AccessDenied',
    redshift: 'AccessDenied',
    sns: 'AuthorizationError',
    ec2: 'UnauthorizedOperation',
    s3: 'AccessDenied',
  })[service] ?? 'AccessDeniedException';
