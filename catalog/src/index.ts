export * from './app.schema.ts';
export * from './catalog.ts';
export * from './host.ts';
export * from './lint.ts';
export * from './matcher.ts';
export * from './risk.ts';
export * from './shared-infrastructure.ts';
