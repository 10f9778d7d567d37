// The test files that take longest (wall time at DOPS_TEST_CONCURRENCY=1 on the 2-core CI machine, slowest first):
// test/run-tests.js starts them first so that no long file starts late and runs alone at the end. Files not listed
// start after these, in path order. Refresh from the "test files by wall time" list the reporter prints at the end.
export const SLOW_FIRST = []
