/**
 * What `dops init` writes for each shape of environment: a plan, an app revision with its AWS CodeDeploy appspec
 * and hook scripts, and a bootstrap script where hosts are created. Pure: file path -> content and mode.
 */
export const SHAPES = ['static', 'local', 'aws'] as const
export type Shape = (typeof SHAPES)[number]

export interface ScaffoldFile {
  path: string
  content: string
  mode: number
}

const header = (schema: string, what: string, try_: string) => `# yaml-language-server: $schema=${schema}
# ${what}
# Check it:  dops validate        Then:  ${try_}
# Reference: the plan schema (every field described) and the README.
version: 1
`

const app = `apps:
  web:
    source: ./app                   # the revision: app/appspec.yml says what goes where and which hooks run
    strategy: {preset: OneAtATime}  # rolling: one host at a time (or batch: [1, "25%"], maxFailures: 0)
    healthCheck: {http: "http://$DOPS_HOST_ADDRESS:8000/", retries: 10, interval: 1s}
`

function plan(shape: Shape, project: string, schema: string): string {
  if (shape === 'static') {
    return `${header(schema, 'Existing hosts, reached over SSH as they are (nothing is installed on them).', 'dops hosts; dops run -- uptime; dops deploy')}project: ${project}
ssh:
  user: deploy                      # the login user on every host
  hostKeyChecking: strict           # unknown host keys are refused (accept-new records them on first contact)
${app}environments:
  prod:
    groups:
      web:
        hosts:                      # replace with your hosts: "[user@]address[:port]" or objects
          - {name: web-1, address: 192.0.2.10}
          - {name: web-2, address: 192.0.2.11}
        apps: [web]
`
  }
  if (shape === 'local') {
    return `${header(schema, 'Sandbox hosts on this machine (Linux, as root): each its own sshd, filesystem and hostname.', 'dops env up; dops env status; dops env down --yes')}project: ${project}
providers:
  sandbox: {type: local}
${app}environments:
  local:
    groups:
      web:
        provider: sandbox
        instance: {count: 2}
        bootstrap:                  # runs once on each new host
          - name: prepare
            script: scripts/bootstrap.sh
        apps: [web]
`
  }
  return `${header(schema, 'EC2 instances created by dops in your AWS account (credentials from the usual AWS chain).', 'dops env plan; dops env up; dops env down --yes')}project: ${project}
ssh:
  user: admin                       # the image's login user (Debian: admin)
  identityFile: ~/.ssh/id_ed25519   # the private key of the key pair below
  hostKeyChecking: accept-new       # new instances' keys are recorded on first contact; a changed key is refused
providers:
  aws: {type: aws, region: eu-west-1}
${app}environments:
  prod:
    groups:
      web:
        provider: aws
        instance:
          count: 2
          image: debian-12-amd64-*  # an AMI id, or a name filter (newest match)
          size: 1C1G                # or an instance type
          keyPair: ${project}       # an EC2 key pair holding your public key
          firewall:
            - {port: 22, from: [0.0.0.0/0]}      # narrow this to your address
            - {port: 8000, from: [0.0.0.0/0]}
        bootstrap:
          - name: prepare
            script: scripts/bootstrap.sh
        apps: [web]
`
}

const appspec = `# The app's revision, as AWS CodeDeploy reads it: files to copy, then the lifecycle hooks in order.
version: 0.0
os: linux
files:
  - source: site
    destination: /var/www/app
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
      timeout: 30
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 30
  ValidateService:
    - location: scripts/validate.sh
      timeout: 60
`

const start = `#!/bin/sh
# ApplicationStart: start the app (here: a static site on port 8000). A server started here must not hold the
# hook's output: redirect it, or the hook waits for it.
cd /var/www/app || exit 1
nohup python3 -m http.server 8000 --bind "$DOPS_HOST_ADDRESS" >/dev/null 2>&1 </dev/null &
echo $! > /var/www/app.pid
`

const stop = `#!/bin/sh
# ApplicationStop: stop the previous revision's app (runs from the previous revision; a first deploy skips it)
[ -f /var/www/app.pid ] && kill "$(cat /var/www/app.pid)" 2>/dev/null
rm -f /var/www/app.pid
exit 0
`

const validate = `#!/bin/sh
# ValidateService: succeed only when the app answers (bounded wait); a failure rolls the deployment back
i=0
while [ $i -lt 50 ]; do
  curl -fsS -o /dev/null "http://$DOPS_HOST_ADDRESS:8000/" && exit 0
  i=$((i + 1)); sleep 0.2
done
echo "the app did not answer on $DOPS_HOST_ADDRESS:8000" >&2
exit 1
`

const bootstrap = `#!/bin/sh
# Runs once on each new host, before its first deployment: install what the app needs.
set -e
if ! command -v python3 >/dev/null || ! command -v curl >/dev/null; then
  if command -v apt-get >/dev/null; then apt-get update -q && apt-get install -yq python3 curl; fi
fi
mkdir -p /var/www
`

/** @param schema where the plan schema is (for editors' completion): this installation's copy */
export function scaffold(shape: Shape, project: string, schema: string): ScaffoldFile[] {
  const files: ScaffoldFile[] = [
    {path: 'dops.yml', content: plan(shape, project, schema), mode: 0o644},
    {path: 'app/appspec.yml', content: appspec, mode: 0o644},
    {path: 'app/site/index.html', content: `<h1>${project}</h1>\n`, mode: 0o644},
    {path: 'app/scripts/start.sh', content: start, mode: 0o755},
    {path: 'app/scripts/stop.sh', content: stop, mode: 0o755},
    {path: 'app/scripts/validate.sh', content: validate, mode: 0o755},
  ]
  if (shape !== 'static') files.push({path: 'scripts/bootstrap.sh', content: bootstrap, mode: 0o755})
  return files
}

/** A project name from a directory name: lower-case letters, digits and dashes (the plan's rule). */
export function projectName(dir: string): string {
  const n = dir.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63)
  return /^[a-z0-9]/.test(n) ? n : 'app'
}
