#!/usr/bin/env node
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

// `dops --version` is what scripts call most; answer it without loading the CLI framework (same output as oclif's)
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const {readFileSync} = await import('node:fs')
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${pkg.oclif.bin}/${pkg.version} ${process.platform}-${process.arch} node-${process.version}\n`)
  process.exit(0)
}

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
