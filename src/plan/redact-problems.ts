/** Problems about a plan never show a value that came from `${env:..}` or `${file:..}`: they name the reference. */
import type {Problem} from '../errors.js'

export function redactProblems(list: Problem[], refs: Array<{value: string; ref: string}>): Problem[] {
  if (!refs.length) return list
  // longest first, so a secret that contains another is replaced whole
  const sorted = [...refs].sort((a, b) => b.value.length - a.value.length)
  const clean = (text: string | undefined): string | undefined => {
    if (text === undefined) return undefined
    let out = text
    for (const {value, ref} of sorted) {
      out = out.split('`' + value + '`').join(`the value of ${ref}`)
      // a bare occurrence of a short value could be any word of the message; values of 4+ characters are hidden
      if (value.length >= 4) out = out.split(value).join('***')
    }
    return out
  }
  return list.map((p) => ({...p, message: clean(p.message)!, suggestion: clean(p.suggestion), path: p.path}))
}
