import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The folder-level shape of src/: data flows one way (STYLE.md), so no two folders import each other, even through
 * others; AWS adapters are built only in composition roots; handlers only parse and call what a root composed.
 * Read from the sources as text: every import, export ... from, import() and require(), type-only ones included.
 */

const root = resolve(__dirname, '../..');
const src = join(root, 'src');

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : /\.ts$/.test(entry.name) ? [path] : [];
  });

const specifiers = (text: string): string[] =>
  [
    ...text.matchAll(
      /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g,
    ),
  ].map((match) => (match[1] ?? match[2] ?? match[3])!);

/** The file an import names, as a path relative to the repository (relative imports only: packages are not ours). */
const resolveImport = (from: string, specifier: string): string | undefined => {
  if (!specifier.startsWith('.')) return undefined;
  const target = resolve(dirname(from), specifier);
  const file =
    [`${target}.ts`, join(target, 'index.ts'), target].find(
      (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
    ) ?? `${target}.ts`;
  return relative(root, file).split(sep).join('/');
};

/** A folder of src/ is one node; a file at the top of src/ (config.ts, errors.ts, logger.ts) is a node of its own. */
const nodeOf = (path: string): string | undefined => {
  const [top, node] = path.split('/');
  return top === 'src' ? node : undefined;
};

interface Import {
  file: string;
  specifier: string;
  target: string;
}

const importsOf = (files: string[]): Import[] =>
  files.flatMap((path) => {
    const file = relative(root, path).split(sep).join('/');
    return specifiers(readFileSync(path, 'utf8')).flatMap((specifier) => {
      const target = resolveImport(path, specifier);
      return target ? [{ file, specifier, target }] : [];
    });
  });

/** Edges between nodes, each with the imports that make it. */
const folderGraph = (imports: Import[]): Map<string, Map<string, Import[]>> => {
  const graph = new Map<string, Map<string, Import[]>>();
  for (const entry of imports) {
    const from = nodeOf(entry.file);
    const to = nodeOf(entry.target);
    if (!from || !to || from === to) continue;
    const out = graph.get(from) ?? new Map<string, Import[]>();
    out.set(to, [...(out.get(to) ?? []), entry]);
    graph.set(from, out);
  }
  return graph;
};

/** Strongly connected groups of more than one node (Tarjan): each is at least one cycle. */
const cyclicGroups = (graph: Map<string, Map<string, Import[]>>): string[][] => {
  const nodes = [...new Set([...graph.keys(), ...[...graph.values()].flatMap((out) => [...out.keys()])])].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of [...(graph.get(node)?.keys() ?? [])].sort()) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) groups.push(group.sort());
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return groups;
};

const listed = (entries: Import[]) =>
  [...new Set(entries.map((entry) => `${entry.file} (${entry.specifier})`))].map((line) => `      ${line}`).join('\n');

const srcImports = importsOf(filesUnder(src));
const handlerImports = importsOf(filesUnder(join(root, 'handlers')));

describe('architecture of src/', () => {
  it('reads the imports it judges', () => {
    // A guard that read nothing would pass anything: the composition roots import adapters, handlers import roots.
    expect(
      srcImports.some((entry) => entry.file.startsWith('src/composition/') && entry.target.startsWith('src/aws/')),
    ).toBe(true);
    expect(handlerImports.some((entry) => entry.target.startsWith('src/composition/'))).toBe(true);
  });

  it('has no import cycles between folders', () => {
    const graph = folderGraph(srcImports);
    const cycles = cyclicGroups(graph).map((group) => {
      // The edges inside the group, thinnest first: the import that closes a cycle is usually the odd one out.
      const edges = group
        .flatMap((from) =>
          group
            .filter((to) => graph.get(from)?.has(to))
            .map((to) => ({ from, to, imports: graph.get(from)!.get(to)! })),
        )
        .sort((a, b) => a.imports.length - b.imports.length)
        .map(({ from, to, imports }) => `    ${from} -> ${to}:\n${listed(imports)}`);
      return `  ${group.join(', ')}:\n${edges.join('\n')}`;
    });
    if (cycles.length > 0)
      throw new Error(`folders of src/ that import each other (directly or through others):\n${cycles.join('\n')}`);
  });

  it('builds AWS adapters only in src/composition', () => {
    const outside = srcImports.filter(
      (entry) => entry.target.startsWith('src/aws/') && !/^src\/(aws|composition)\//.test(entry.file),
    );
    if (outside.length > 0)
      throw new Error(`only src/composition (and src/aws itself) may import src/aws:\n${listed(outside)}`);
  });

  it('lets handlers import only composition roots and what parsing an event needs', () => {
    const allowed = /^src\/(composition\/|events\/|middleware\/|logger\.ts$|config\.ts$|errors\.ts$)/;
    const others = handlerImports.filter((entry) => !allowed.test(entry.target));
    if (others.length > 0)
      throw new Error(
        `handlers may import src/composition, src/events, src/middleware, src/logger, src/config and src/errors only:\n${listed(others)}`,
      );
  });
});
