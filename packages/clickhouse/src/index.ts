export * from './store.ts';
export * from './migrate.ts';
