/** Rendering is telling: the renderer lives in src/notify/rekey-progress.ts; kept here for src/cli. */
export { renderRekeyProgress } from '../notify/rekey-progress';
