/**
 * dops's help class (package.json oclif.helpClass): oclif's help, with descriptions reflowed. A description's source
 * is wrapped for the editor; help wraps it again for the terminal, so a sentence broken in the source would end in a
 * short ragged line. Lines of a paragraph are joined; blank lines, indented lines (tables such as EXIT CODES,
 * examples), list items and headings keep their own lines.
 */
import {Help, type Command} from '@oclif/core'

const KEEPS_ITS_LINE = /^(\s|[-*•]\s|\d+[.)]\s|[A-Z][A-Z ]+$)/

export function reflow(text: string | undefined): string | undefined {
  if (!text) return text
  const out: string[] = []
  for (const line of text.split('\n')) {
    const prev = out.at(-1)
    if (prev !== undefined && prev.trim() !== '' && line.trim() !== '' && !KEEPS_ITS_LINE.test(line) && !KEEPS_ITS_LINE.test(prev)) out[out.length - 1] = `${prev.trimEnd()} ${line.trim()}`
    else out.push(line)
  }
  return out.join('\n')
}

export default class DopsHelp extends Help {
  protected override getCommandHelpClass(command: Command.Loadable) {
    return super.getCommandHelpClass({...command, description: reflow(command.description)})
  }
}
