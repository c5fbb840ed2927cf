// Values handed from test/support/global-setup.ts to test workers via project.provide()/inject().
// The import makes this file a module, so the block below augments vitest's types instead of
// replacing them.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap address of the Kafka broker for integration tests, e.g. `127.0.0.1:39092`. */
    kafkaBrokers: string;
  }
}
