export * from './detection';
export * from './engine';
export * from './registry';
