import {Flags} from '@oclif/core'
import {BaseCommand} from '../../../cli/base.js'
import {appendToken, newToken, tokenName, type Role} from '../../../serve/tokens.js'

export default class ServeTokenNew extends BaseCommand {
  static override summary = 'Make a new API token for `dops serve` (32 random bytes, base64url) and print it.'
  static override description = `With --tokens-file the token is also appended to that file as \`TOKEN ROLE\` (the file is kept mode 0600);
otherwise give it to the server in DOPS_TOKENS as TOKEN:ROLE. The server keeps only its SHA-256 digest and names it
\`token-\` and the digest's first 6 hex digits (in job triggers and its log).`

  static override examples = ['<%= config.bin %> serve token new --role operate --tokens-file .dops/tokens', '<%= config.bin %> serve token new --json']
  static override flags = {
    role: Flags.string({description: 'read: GET routes only; operate: may also start and cancel jobs', options: ['read', 'operate'], default: 'read'}),
    'tokens-file': Flags.string({description: 'append the token to this file (created with mode 0600)'}),
  }

  async run(): Promise<{token: string; role: Role; name: string; file?: string}> {
    const {flags} = await this.parse(ServeTokenNew)
    const token = newToken()
    const role = flags.role as Role
    if (flags['tokens-file']) await appendToken(flags['tokens-file'], token, role)
    const name = tokenName(token)
    if (!this.jsonEnabled()) {
      process.stdout.write(`${token}\n`)
      process.stderr.write(`${role} token ${name}${flags['tokens-file'] ? ` appended to ${flags['tokens-file']}` : `; give it to dops serve as DOPS_TOKENS=TOKEN:${role}`}\n`)
    }
    return {token, role, name, ...(flags['tokens-file'] ? {file: flags['tokens-file']} : {})}
  }
}
