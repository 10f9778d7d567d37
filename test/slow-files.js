// The test files that take longest (wall time on the 2-core CI machine, slowest first): test/run-tests.js starts
// them first, so that no long file starts late and runs alone at the end. Files not listed start after these, in
// path order. Refresh from the "test files by wall time" list the reporter prints at the end of a run. The aws files
// alternate with sandbox ones: each runs a moto (Python, CPU-heavy) and four at once starve each other.
export const SLOW_FIRST = [
  'test/env/aws.test.ts',
  'test/env/replace.test.ts',
  'test/env/aws-drift.test.ts',
  'test/env/local.test.ts',
  'test/env/aws-converge.test.ts',
  'test/env/local-machine.test.ts',
  'test/env/aws-drift-replace.test.ts',
  'test/recover/e2e.test.ts',
  'test/env/aws-down.test.ts',
  'test/cli/everyday.test.ts',
  'test/env/aws-drift-bounds.test.ts',
  'test/serve/dashboard-browser.test.ts',
  'test/env/s3-errors.test.ts',
  'test/env/static.test.ts',
  'test/env/mixed.test.ts',
  'test/deploy/deploy.test.ts',
  'test/serve/hooks-e2e.test.ts',
  'test/env/truth.test.ts',
  'test/monitor/follow.test.ts',
  'test/env/static-state.test.ts',
  'test/fleet/run.test.ts',
  'test/serve/schedule-two-servers.test.ts',
  'test/deploy/rollback-interrupt.test.ts',
  'test/deploy/zero-downtime.test.ts',
  'test/deploy/show.test.ts',
]
