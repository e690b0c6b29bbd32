import { detections, type DetectionId } from '../../src/detections';
import type { ApiCallCase } from './cases/api-call';
import type { InputCase } from './cases/input';
import type { SequenceCase } from './cases/sequence';

export type DetectionCases =
  | { kind: 'api-call'; match: ApiCallCase[]; noMatch: ApiCallCase[] }
  | { kind: 'sequence'; match: SequenceCase[]; noMatch: SequenceCase[] }
  | { kind: 'input'; match: InputCase[]; noMatch: InputCase[] };

/** A registered detection's cases, from its folder (src/detections/<id>/cases.ts); undefined when it has none. */
export const casesOf = (id: DetectionId): DetectionCases | undefined => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`../../src/detections/${id}/cases`) as { cases: DetectionCases }).cases;
  } catch (error) {
    if ((error as { code?: string }).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
};

const ofKind = <K extends DetectionCases['kind']>(kind: K) =>
  Object.fromEntries(
    detections.flatMap((d) => {
      const cases = casesOf(d.id);
      return cases?.kind === kind ? [[d.id, cases]] : [];
    }),
  ) as Record<string, Extract<DetectionCases, { kind: K }>>;

/** Every detection's cases, by kind: API calls one at a time, sequences through memory, findings and Config changes. */
export const apiCallCases = ofKind('api-call');
export const statefulCases = ofKind('sequence');
export const inputCases = ofKind('input');
export { classified } from './cases/input';
