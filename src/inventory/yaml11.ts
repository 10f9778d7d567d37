/**
 * YAML 1.1 as Ansible reads it (PyYAML): the `yaml` package's 1.1 schema also makes `y`, `Y`, `n`, `N` booleans,
 * PyYAML does not (`y: 2` is the key "y"); and PyYAML's exponent floats need a dot and a sign (`1e3` is a string,
 * `1.0e+3` a float). These tags replace those with PyYAML's.
 */
import type {ScalarTag, SchemaOptions} from 'yaml'

const BOOL = 'tag:yaml.org,2002:bool'
const pyBool = (value: boolean, test: RegExp): ScalarTag => ({
  identify: (v) => v === value,
  default: true,
  tag: BOOL,
  test,
  resolve: () => value,
  stringify: () => String(value),
})

export const PYYAML_TAGS: SchemaOptions['customTags'] = (tags) => [
  pyBool(true, /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/),
  pyBool(false, /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/),
  {
    identify: (v) => typeof v === 'number',
    default: true,
    tag: 'tag:yaml.org,2002:float',
    test: /^[-+]?[0-9][0-9_]*\.[0-9_]*[eE][-+][0-9]+$/,
    resolve: (s: string) => Number.parseFloat(s.replace(/_/g, '')),
  },
  ...tags.filter((t) => typeof t === 'string' || (t.tag !== BOOL && t.format !== 'EXP')),
]
