// Property tests run with one seed so CI is repeatable; FC_SEED=<n> explores another, FC_SEED=random a new one each run.
import fc from 'fast-check';

const seed = process.env.FC_SEED === 'random' ? undefined : Number(process.env.FC_SEED ?? 20261125);
if (seed !== undefined) fc.configureGlobal({ seed });
