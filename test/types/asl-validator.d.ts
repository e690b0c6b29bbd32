// asl-validator ships no type declarations; this is the part the tests use.
declare module 'asl-validator' {
  interface AslValidationResult {
    isValid: boolean;
    errors: Array<{ 'Error code': string; Message: string }>;
    errorsText: (separator?: string) => string;
  }
  const validator: (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => AslValidationResult;
  export = validator;
}
