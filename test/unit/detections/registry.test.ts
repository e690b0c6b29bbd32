import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { detectionOf, detections, familyOf, isDetectionId } from '../../../src/detections';
import { casesOf } from '../../support/detection-cases';

const folder = join(__dirname, '..', '..', '..', 'src', 'detections');
const folders = readdirSync(folder).filter((name) => statSync(join(folder, name)).isDirectory());

describe('the detection registry', () => {
  it('gives every detection a unique id', () => {
    const ids = detections.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists every detection folder, and only those', () => {
    expect([...folders].sort()).toEqual(detections.map((d) => d.id).sort());
  });

  it.each(detections.map((d) => [d.id, d] as const))(
    '%s lives in the folder of its id, with its cases',
    (id, detection) => {
      expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect(Object.values(require(join(folder, id)) as object)).toContain(detection);
      expect(['low', 'medium', 'high', 'critical']).toContain(detection.severity);
      expect(typeof detection.respond).toBe('function');
      const cases = casesOf(id);
      expect(cases?.match.length ?? 0).toBeGreaterThan(0);
      expect(cases?.noMatch.length ?? 0).toBeGreaterThan(0);
    },
  );

  it('finds a detection by id, and none for an id no detection has (an incident of an older version)', () => {
    expect(detectionOf('usage-spike')?.title).toMatch(/spiked/);
    expect(detectionOf('retired-detector')).toBeUndefined();
    expect(isDetectionId('retired-detector')).toBe(false);
    expect(familyOf('retired-detector')).toBe('retired-detector');
    expect(familyOf('key-disabled')).toBe('key-sabotage');
  });
});

/**
 * The compiler is the registry's first test: these programs use the real types of src/detections and must not
 * compile. Checked with the TypeScript compiler itself, so a loosened type fails here, not only in review.
 */
describe('what does not compile', () => {
  const compile = (source: string): string[] => {
    const file = join(folder, '__compile-check__.ts');
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Preserve,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
    };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (name) => (name === file ? source : read(name));
    const exists = host.fileExists.bind(host);
    host.fileExists = (name) => name === file || exists(name);
    const program = ts.createProgram([file], options, host);
    return ts
      .getPreEmitDiagnostics(program, program.getSourceFile(file))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  };

  const aDetection = (respond: string, stage = "stage: 'reconnaissance',") => `
    import { apiCallDetection } from './detection';
    export const quiet = apiCallDetection({
      id: 'quiet-detection', family: 'suspicious-use', title: 'Quiet', severity: 'low', mitre: [], ${stage}
      appliesTo: ['Decrypt'], detect: () => null,${respond}
    });`;

  it('compiles a detection with a response (the control)', () => {
    expect(compile(aDetection('\n      respond: () => [],'))).toEqual([]);
  }, 60_000);

  it('refuses a detection without a stage of an attack (a story could not place it)', () => {
    expect(compile(aDetection('\n      respond: () => [],', '')).join('\n')).toMatch(/Property 'stage' is missing/);
  }, 60_000);

  it('refuses a detection without a response', () => {
    expect(compile(aDetection('')).join('\n')).toMatch(/Property 'respond' is missing/);
  }, 60_000);

  it('refuses an id no registered detection has', () => {
    const errors = compile(`
      import type { DetectionId } from './registry';
      export const id: DetectionId = 'usage-spik';`);
    expect(errors.join('\n')).toMatch(/"usage-spik"' is not assignable to type/);
  }, 60_000);
});
