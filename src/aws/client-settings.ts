/**
 * What every SDK client is built with. Throttling is retried by the SDK's standard retry strategy with backoff, five
 * attempts.
 *
 * A client's identity and endpoint are fixed when its settings are read (by its factory, or by a composition root
 * that builds its clients later, on first use), from the environment Lambda gives the function (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN; AWS_ENDPOINT_URL for an emulator). The SDK would otherwise read them at
 * the first request. In Lambda the two are the same; in tests, where several functions run in one process each with
 * its own role, a function's clients keep the role they were composed with. Without credentials in the environment
 * (the CLI with a profile), the SDK's default chain finds them as usual.
 *
 * No SDK here: a function reads its settings at start without loading any client.
 */
export type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date };

export type ClientSettings = {
  maxAttempts: number;
  endpoint?: string;
  /** Fixed (the function's own), or a provider the SDK asks again before they expire (a member role's session). */
  credentials?: Credentials | (() => Promise<Credentials>);
};

export const clientSettings = (env: NodeJS.ProcessEnv = process.env): ClientSettings => {
  const {
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_SESSION_TOKEN: sessionToken,
    AWS_ENDPOINT_URL: endpoint,
  } = env;
  return {
    maxAttempts: 5,
    ...(endpoint ? { endpoint } : {}),
    ...(accessKeyId && secretAccessKey
      ? { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } }
      : {}),
  };
};

/** A client per Region, made on first use, with the settings given (by default, those of the moment it is called). */
export const perRegion = <C>(
  make: (config: ClientSettings & { region: string }) => C,
  settings: ClientSettings = clientSettings(),
) => {
  const byRegion = new Map<string, C>();
  return (region: string): C => {
    let client = byRegion.get(region);
    if (!client) byRegion.set(region, (client = make({ ...settings, region })));
    return client;
  };
};

/**
 * A client per account and Region, made on first use: `settingsIn` says who acts in an account (the function itself
 * in its own, a session of the member role in the organization's others). No account: the function's own.
 */
export const perAccountAndRegion = <C>(
  make: (config: ClientSettings & { region: string }) => C,
  settingsIn: (account: string | undefined) => ClientSettings,
) => {
  const clients = new Map<string, C>();
  return (region: string, account?: string): C => {
    const key = `${account ?? ''}/${region}`;
    let client = clients.get(key);
    if (!client) clients.set(key, (client = make({ ...settingsIn(account), region })));
    return client;
  };
};
