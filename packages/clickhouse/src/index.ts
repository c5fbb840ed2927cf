export * from './store.ts';
export * from './migrate.ts';
export * from './change-watch.ts';
export * from './retention.ts';
export * from './cluster.ts';
