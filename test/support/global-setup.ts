// Vitest globalSetup for the `integration` project: one real Kafka broker for the whole run.
/// <reference path="./provided.d.ts" />
import type { TestProject } from 'vitest/node';
import { startKafkaBroker } from './kafka-broker.ts';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // An externally managed broker (CI service, a developer's own) wins over starting one here.
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    project.provide('kafkaBrokers', external);
    return async () => {};
  }

  // Deliberately no skip path: integration tests that silently do not run are worse than a
  // loud failure telling the developer to install Java and Maven (startKafkaBroker says so).
  const broker = await startKafkaBroker();
  project.provide('kafkaBrokers', broker.brokers);
  return () => broker.stop();
}
