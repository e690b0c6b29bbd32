/** What each decision does lives with the messages that offer it (src/notify/decision-text.ts); kept here for src/cli. */
export { decisionText } from '../notify/decision-text';
