export * from './candidates.step.ts';
export * from './classify.step.ts';
export * from './custom-apps.store.ts';
export * from './event-rows.ts';
export * from './events.sink.ts';
export * from './findings.detector.ts';
export * from './sanctions.ts';
export * from './identity.ts';
