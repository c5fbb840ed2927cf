export * from './file-source.ts';
export * from './lines.ts';
export * from './sink.ts';
export * from './parsers/index.ts';
export * from './kafka/log-topics.consumer.ts';
export * from './syslog/syslog-header.ts';
export * from './syslog/syslog.listener.ts';
export * from './kafka/identity-events.consumer.ts';
