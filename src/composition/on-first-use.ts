/** Every method of a port, by name: the compiler checks that none is missing and that each returns a promise. */
export type MethodsOf<T> = {
  readonly [K in keyof T]-?: T[K] extends (...args: never[]) => Promise<unknown> ? true : never;
};

type Methods = Record<string, (...args: unknown[]) => Promise<unknown>>;

/**
 * A port whose adapter is made when one of its methods is first called, and kept: `make` loads the adapter's module
 * then (a dynamic import is a file of its own in the package), so neither the adapter nor the SDK client under it is
 * loaded before a function needs it. A make that failed is tried again on the next call.
 */
export const onFirstUse = <T extends object>(methods: MethodsOf<T>, make: () => Promise<T>): T => {
  let made: Promise<Methods> | undefined;
  const adapter = () =>
    (made ??= (make() as Promise<unknown> as Promise<Methods>).catch((error: unknown) => {
      made = undefined;
      throw error;
    }));
  return Object.fromEntries(
    Object.keys(methods).map((name) => [name, async (...args: unknown[]) => (await adapter())[name]!(...args)]),
  ) as T;
};
