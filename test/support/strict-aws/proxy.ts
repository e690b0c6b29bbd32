import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accessDeniedCode, errorResponse, readCall, type AwsCall, type Refusal } from './aws-call';
import { authorizationsFor } from './authorizations';
import type { Emulator } from './emulator';
import { Identities, type Identity } from './identities';
import {
  authorizeKms,
  evaluateIdentityPolicies,
  parsePolicy,
  type Caller,
  type PolicyDocument,
} from './policy-evaluation';
import { Overlay, type Answer, type RuleContext, type StrictRule } from './rules/rule';
import { strictRules } from './rules';

/** A failure the layer makes on purpose (see `Faults`). */
export interface Fault {
  /** 'dynamodb:UpdateItem', 'sns:Publish', ... */
  operation: string;
  when?: (call: AwsCall) => boolean;
  /**
   * apply-then-500: the request reaches the emulator and takes effect, then the client gets 500 (AWS can answer an
   * internal error for a request it applied; the SDK sends it again).
   * refuse-500: the client gets 500 and nothing happens.
   * refuse: the client gets `refusal` (a 4xx AWS would answer for a reason that stays), and nothing happens.
   */
  kind: 'apply-then-500' | 'refuse-500' | 'refuse';
  refusal?: Refusal;
  times?: number;
}

/** What the layer saw: each request, who made it, and what became of it. */
export interface SeenCall {
  operation: string;
  who: string;
  outcome: 'forwarded' | 'refused' | 'fault';
  refusal?: Refusal;
}

const readBody = (incoming: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks)));
    incoming.on('error', reject);
  });

const iamWrite = (call: AwsCall) => call.service === 'iam' && !/^(Get|List|Generate|Simulate)/.test(call.action);

const describe = (identity: Identity | undefined) =>
  !identity
    ? 'unknown'
    : identity.kind === 'function'
      ? `function ${identity.functionName}`
      : `${identity.kind} ${identity.caller.arn}`;

/**
 * A loopback proxy between the code under test and moto: the strict-AWS layer. For every signed request it
 * 1. knows the caller by its access key (identities.ts), and refuses a deactivated access key;
 * 2. authorizes it as IAM and KMS would: the caller's identity policies with resources and conditions, and for KMS
 *    the key policy (policy-evaluation.ts); moto's own enforcement checks only actions;
 * 3. refuses what AWS documents it refuses and moto accepts (rules/), in the service's own error shape;
 * 4. forwards it, DynamoDB requests one at a time (DynamoDB applies a conditional write atomically; moto answers
 *    on several threads and takes no lock);
 * 5. shows state moto does not keep (rules' answers), and injects the failures a test asks for.
 */
/** The organization a test made in the emulator: which accounts are in it, and who may list them. */
export interface OrganizationFacts {
  id: string;
  management: string;
  accounts: ReadonlySet<string>;
  /** Member accounts registered as delegated administrators (ListAccounts answers them too). */
  delegatedAdministrators: ReadonlySet<string>;
}

export class StrictAwsProxy {
  identities: Identities;
  /** The other accounts of a test's organization, each with the emulator's view of it as its administrator. */
  private readonly accounts = new Map<string, Emulator>();
  organization?: OrganizationFacts;
  /**
   * Roles whose sessions the layer evaluates with these policies: moto holds only their projection (see
   * motoProjection), as for the functions' roles. A session of one is known by the AssumeRole answer that made it.
   */
  readonly rolePolicies = new Map<string, PolicyDocument[]>();
  overlay = new Overlay();
  readonly seen: SeenCall[] = [];
  private readonly faults: Array<Fault & { left: number }> = [];
  private dynamoDbQueue: Promise<unknown> = Promise.resolve();
  private server?: Server;
  endpoint = '';

  constructor(
    public emulator: Emulator,
    private readonly rules: readonly StrictRule[] = strictRules,
  ) {
    this.identities = new Identities((account) => this.emulatorOf(account));
  }

  /** Another account the test acts in (a member of its organization), as its administrator sees it. */
  addAccount(emulator: Emulator) {
    this.accounts.set(emulator.account, emulator);
  }

  /** The emulator's view of an account: the test's own account when it knows no other by that id. */
  emulatorOf(account: string | undefined): Emulator {
    return (account !== undefined && this.accounts.get(account)) || this.emulator;
  }

  /** The emulator's view of an account the test made (its own, or a member); undefined for any other. */
  knownEmulator(account: string | undefined): Emulator | undefined {
    if (account === this.emulator.account) return this.emulator;
    return account === undefined ? undefined : this.accounts.get(account);
  }

  /** After the emulator was emptied: no identity, overlay or fault from before. */
  resetWith(emulator: Emulator) {
    this.emulator.destroy();
    for (const other of this.accounts.values()) other.destroy();
    this.accounts.clear();
    this.rolePolicies.clear();
    this.organization = undefined;
    this.emulator = emulator;
    this.identities = new Identities((account) => this.emulatorOf(account));
    this.overlay = new Overlay();
    this.faults.length = 0;
  }

  async start(): Promise<void> {
    this.server = createServer((incoming, outgoing) => {
      this.handle(incoming)
        .then((answer) => {
          // A HEAD answer has no body but says how long the object is: moto's length stands.
          const length =
            incoming.method === 'HEAD' ? String(answer.headers['content-length'] ?? '0') : String(answer.body.length);
          outgoing.writeHead(answer.status, { ...answer.headers, 'content-length': length });
          outgoing.end(incoming.method === 'HEAD' ? undefined : answer.body);
        })
        .catch((error: Error) => {
          // A defect of the layer itself: answered as a client error the SDK does not retry, so the test fails at once.
          const body = JSON.stringify({
            __type: 'StrictLayerDefect',
            message: `strict AWS layer failed: ${error.stack ?? error.message}`,
          });
          if (!outgoing.headersSent)
            outgoing.writeHead(400, {
              'content-type': 'application/x-amz-json-1.1',
              'x-amzn-errortype': 'StrictLayerDefect',
            });
          outgoing.end(body);
        });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.emulator.destroy();
    for (const other of this.accounts.values()) other.destroy();
  }

  /** Makes the next matching requests fail as the fault says. Returns a count of the faults made so far. */
  inject(fault: Fault): { made: () => number } {
    const entry = { ...fault, left: fault.times ?? 1 };
    this.faults.push(entry);
    return { made: () => (fault.times ?? 1) - entry.left };
  }

  private faultFor(call: AwsCall): Fault | undefined {
    const fault = this.faults.find(
      (f) => f.left > 0 && f.operation === `${call.service}:${call.action}` && (!f.when || f.when(call)),
    );
    if (fault) fault.left -= 1;
    return fault;
  }

  private async handle(incoming: IncomingMessage): Promise<Answer> {
    const body = await readBody(incoming);
    const call = readCall(incoming.method ?? 'GET', incoming.url ?? '/', incoming.headers, body);
    const identity = this.identities.get(call.accessKeyId);
    const operation = `${call.service}:${call.action}`;
    const refused = identity && call.protocol !== 'unsigned' ? await this.refusal(call, identity) : undefined;
    if (refused) {
      this.seen.push({ operation, who: describe(identity), outcome: 'refused', refusal: refused });
      return this.asAnswer(errorResponse(call, refused));
    }
    const fault = this.faultFor(call);
    if (fault?.kind === 'refuse') {
      this.seen.push({ operation, who: describe(identity), outcome: 'fault' });
      return this.asAnswer(errorResponse(call, fault.refusal ?? { code: 'AccessDeniedException', message: 'refused' }));
    }
    if (fault?.kind === 'refuse-500') {
      this.seen.push({ operation, who: describe(identity), outcome: 'fault' });
      return this.asAnswer(errorResponse(call, internalError(call)));
    }
    let answer =
      call.service === 'dynamodb' ? await this.oneAtATime(() => this.forward(call)) : await this.forward(call);
    answer = asServiceAnswers(call, answer);
    if (iamWrite(call)) this.identities.forgetPolicies();
    if (identity) {
      const context = this.contextFor(call, identity);
      for (const rule of this.rulesFor(call)) if (rule.answer) answer = await rule.answer(context, answer);
    }
    if (fault?.kind === 'apply-then-500') {
      this.seen.push({ operation, who: describe(identity), outcome: 'fault' });
      return this.asAnswer(errorResponse(call, internalError(call)));
    }
    this.seen.push({ operation, who: describe(identity), outcome: 'forwarded' });
    return answer;
  }

  private rulesFor(call: AwsCall) {
    const operation = `${call.service}:${call.action}`;
    return this.rules.filter((rule) => rule.operations.includes(operation));
  }

  private contextFor(call: AwsCall, identity: Identity): RuleContext {
    let keyArn: Promise<string | undefined> | undefined;
    const emulator = this.emulatorOf(identity.caller.account);
    return {
      call,
      identity,
      policies: () => this.identities.policiesOf(identity),
      emulator,
      emulatorOf: (account) => this.knownEmulator(account),
      organization: this.organization,
      rolePolicies: this.rolePolicies,
      remember: (accessKeyId, known) => this.identities.add(accessKeyId, known),
      overlay: this.overlay,
      keyArn: () => (keyArn ??= emulator.keyArnOf(call.params.KeyId, call.region)),
    };
  }

  private async refusal(call: AwsCall, identity: Identity): Promise<Refusal | undefined> {
    if (identity.kind === 'principal' && identity.user) {
      const status = await this.emulatorOf(identity.caller.account).accessKeyStatus(
        identity.user.name,
        identity.user.accessKeyId,
      );
      if (status !== 'Active') {
        // A deactivated or deleted access key signs nothing (IAM user guide, "Manage access keys for IAM users").
        return call.protocol === 'json'
          ? { code: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' }
          : {
              code: 'InvalidClientTokenId',
              message: 'The security token included in the request is invalid.',
              status: 403,
            };
      }
    }
    const denied = await this.authorize(call, identity);
    if (denied) return denied;
    const context = this.contextFor(call, identity);
    for (const rule of this.rulesFor(call)) {
      const refusal = rule.refuse ? await rule.refuse(context) : undefined;
      if (refusal) return refusal;
    }
    return undefined;
  }

  /** IAM and KMS authorization, as AWS evaluates it for this caller. */
  private async authorize(call: AwsCall, identity: Identity): Promise<Refusal | undefined> {
    const needed = await authorizationsFor(
      call,
      this.emulatorOf(identity.caller.account),
      identity.caller.kind === 'user' ? identity.caller.arn.split('/').pop() : undefined,
    );
    if (!needed) return undefined;
    const policies = await this.identities.policiesOf(identity);
    const caller: Caller = identity.caller;
    for (const { action, resource, kmsKey, context } of needed) {
      // aws:PrincipalOrgID: "the identifier of the organization that the requesting principal belongs to" (global
      // condition keys page); absent for a principal of no organization.
      const inOrganization = this.organization?.accounts.has(caller.account) ? this.organization.id : undefined;
      const request = {
        caller,
        action,
        resource,
        context: { 'kms:CallerAccount': caller.account, 'aws:PrincipalOrgID': inOrganization, ...context },
      };
      if (kmsKey) {
        // A key policy is read in the key's own account (a caller may use another account's key); a key of an account
        // the test never made does not exist, and moto answers NotFoundException.
        const owner = this.knownEmulator(kmsKey.split(':')[4]);
        const keyPolicy = owner ? await owner.keyPolicy(kmsKey) : undefined;
        // A key the emulator does not have: moto answers NotFoundException.
        if (keyPolicy === undefined) continue;
        const verdict = authorizeKms(parsePolicy(keyPolicy), policies, request);
        if (!verdict.allowed)
          return {
            code: accessDeniedCode(call.service),
            message: `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} because ${verdict.reason}`,
          };
        continue;
      }
      const verdict = evaluateIdentityPolicies(policies, request);
      if (verdict.effect !== 'allow') {
        const why =
          verdict.effect === 'deny'
            ? 'with an explicit deny in an identity-based policy'
            : `because no identity-based policy allows the ${action} action`;
        return {
          code: accessDeniedCode(call.service),
          message: `User: ${caller.arn} is not authorized to perform: ${action} on resource: ${resource} ${why}`,
          status: call.protocol === 'json' ? 400 : 403,
        };
      }
    }
    return undefined;
  }

  private oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const turn = this.dynamoDbQueue.then(work, work);
    this.dynamoDbQueue = turn.catch(() => undefined);
    return turn;
  }

  private forward(call: AwsCall): Promise<Answer> {
    const target = new URL(this.emulator.endpoint);
    return new Promise<Answer>((resolve, reject) => {
      const upstream = request(
        { host: target.hostname, port: target.port, method: call.method, path: call.path, headers: call.headers },
        (reply) => {
          const chunks: Buffer[] = [];
          reply.on('data', (chunk: Buffer) => chunks.push(chunk));
          reply.on('end', () => {
            const { 'transfer-encoding': _chunked, connection: _connection, ...headers } = reply.headers;
            resolve({ status: reply.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
          });
          reply.on('error', reject);
        },
      );
      upstream.setTimeout(60_000, () => upstream.destroy(new Error('moto did not answer within 60 s')));
      upstream.on('error', reject);
      upstream.end(call.body);
    });
  }

  private asAnswer(response: { status: number; headers: Record<string, string>; body: string }): Answer {
    return { status: response.status, headers: response.headers, body: Buffer.from(response.body) };
  }
}

const internalError = (call: AwsCall): Refusal =>
  call.service === 'dynamodb'
    ? { code: 'InternalServerError', message: 'Internal server error', status: 500 }
    : {
        code: call.protocol === 'json' ? 'InternalFailure' : 'InternalFailure',
        message: 'We encountered an internal error. Please try again.',
        status: 500,
      };

/**
 * moto's own IAM enforcement answers every refusal in IAM's XML, which no JSON-protocol SDK client can read; AWS
 * answers in the service's protocol. The refusal is told in the JSON shape, its code and message kept.
 */
const asServiceAnswers = (call: AwsCall, answer: Answer): Answer => {
  if (call.protocol !== 'json' || answer.status < 400 || !String(answer.headers['content-type'] ?? '').includes('xml'))
    return answer;
  const text = answer.body.toString('utf8');
  const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
  if (!code) return answer;
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? code;
  const response = errorResponse(call, {
    code: code === 'AccessDenied' ? 'AccessDeniedException' : code,
    message: `${message} (refused by moto's own IAM enforcement)`,
    status: answer.status,
  });
  return { status: response.status, headers: response.headers, body: Buffer.from(response.body) };
};
