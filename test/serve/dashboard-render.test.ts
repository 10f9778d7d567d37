/**
 * The dashboard's server rendering, as pure functions: the escape helper, the inert JSON block, and the page made
 * from hostile names (hosts, groups, labels, lock holders, revisions with HTML in them) showing every one as text.
 * The page's script is checked to be valid JavaScript (it ships as text).
 */
import assert from 'node:assert/strict'
import {test} from 'node:test'
import vm from 'node:vm'
import {DASHBOARD_CSS, DASHBOARD_JS} from '../../src/serve/dashboard/assets.js'
import {CSP, esc, jsonForScript} from '../../src/serve/dashboard/html.js'
import {renderPage} from '../../src/serve/dashboard/page.js'
import {groupHealth, hostHealth} from '../../src/serve/dashboard/render-env.js'
import type {BootData} from '../../src/serve/dashboard/view-types.js'

const XSS = ['<script>alert(1)</script>', '<img src=x onerror=alert(2)>', '"><svg onload=alert(3)>', "' onmouseover='alert(4)", '</script><script>alert(5)</script>', '<!--', '`${x}`']

test('esc: every character that could open markup or leave an attribute is an entity; nothing else changes', () => {
  assert.equal(esc('<script>alert("x") & \'y\'</script>`'), '&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;&#96;')
  assert.equal(esc('web-1 127.0.0.2 é ✓'), 'web-1 127.0.0.2 é ✓')
  assert.equal(esc(undefined), '')
  assert.equal(esc(null), '')
  assert.equal(esc(0), '0')
  assert.equal(esc('&amp;'), '&amp;amp;', 'escaped once more: what the value said is what shows')
  for (const x of XSS) assert.doesNotMatch(esc(x), /[<>"'`]/)
})

test('jsonForScript: no value can close the block or start a comment, and it parses back to the same value', () => {
  const value = {names: XSS, sep: 'a\u2028b\u2029c', amp: 'a&b', nested: [{k: '</SCRIPT >'}]}
  const out = jsonForScript(value)
  assert.doesNotMatch(out, /[<>&\u2028\u2029]/)
  assert.deepEqual(JSON.parse(out), value)
  assert.equal(jsonForScript(undefined), 'null')
})

function hostileBoot(): BootData {
  const name = XSS[1]!
  return {
    version: '1.2.3<b>',
    publicRead: true,
    env: 'prod<i>',
    leader: {isLeader: false, holder: {owner: XSS[0]!, expiresAt: '2026-01-01T00:00:00Z'}},
    envs: {project: XSS[2]!, envs: [{name: 'prod<i>', groups: 2, hosts: 2, health: 'unhealthy', locked: {holder: XSS[3]!}, lastDeployment: {deploymentId: 'd-1', app: XSS[4]!, status: 'failed', revision: XSS[5]!, startedAt: '2026-01-01T00:00:00Z'}}]},
    envData: {
      project: XSS[2]!,
      env: 'prod<i>',
      checkedAt: '2026-01-01T00:00:00Z',
      locked: {holder: XSS[3]!},
      groups: [
        {group: XSS[6]!, provider: 'static', desired: 2, actual: 1, apps: [{app: XSS[0]!, revision: XSS[1]!, revisions: [XSS[1]!, 'r-2'], mixed: true}],
          hosts: [{name, address: '127.0.0.9', group: XSS[6]!, labels: {note: XSS[0]!}, state: 'static', revisions: {[XSS[0]!]: XSS[4]!}, health: {[XSS[0]!]: {healthy: false, reason: XSS[2]!}}}]},
      ],
    },
  }
}

test('the page made from hostile names: each shows as text, the only scripts are the boot block and the page script', () => {
  const html = renderPage(hostileBoot(), Date.parse('2026-01-01T00:01:00Z'))
  // the boot block is raw text to the HTML parser: only `</script` could end it (jsonForScript's test); the rest is markup
  const markup = html.replace(/<script type="application\/json" id="dops-boot">[^<]*<\/script>/, '')
  for (const x of XSS.slice(0, 5)) assert.ok(!markup.includes(x), `${x} appears unescaped`)
  assert.ok(!html.includes('</script><script>alert(5)'))
  assert.ok(html.includes('&lt;img src=x onerror=alert(2)&gt;'), 'the host name is shown, escaped')
  assert.ok(html.includes('data-host="&lt;img src=x onerror=alert(2)&gt;"'), 'attribute values are escaped too')
  assert.ok(html.includes('locked by &#39; onmouseover=&#39;alert(4)'), 'the lock holder is shown')
  assert.ok(html.includes('note=&lt;script&gt;alert(1)&lt;/script&gt;'), 'labels are shown')
  assert.equal(html.match(/<script/g)?.length, 2)
  assert.match(html, /<script type="application\/json" id="dops-boot">[^<]*<\/script>\s*<script src="\/assets\/dashboard\.js" defer><\/script>/)
  // every attribute value is quoted and holds no quote (escaped): outside the quotes is markup we wrote
  const tags = (markup.match(/<[a-z][^>]*>/gi) ?? []).map((t) => t.replace(/"[^"]*"/g, '""'))
  assert.ok(tags.length > 50)
  assert.deepEqual(tags.filter((t) => /\s(style|on[a-z]+)=/i.test(t) || /^<(img|svg|iframe|object)/i.test(t)), [], 'no element or attribute came from the data')
  const boot = JSON.parse(/<script type="application\/json" id="dops-boot">([^<]*)<\/script>/.exec(html)![1]!) as BootData
  assert.deepEqual(boot, JSON.parse(JSON.stringify(hostileBoot())), 'the script gets the same data back')
})

test('the page shows groups with desired vs actual, mixed revisions, health, and the stale check greyed', () => {
  const html = renderPage(hostileBoot(), Date.parse('2026-01-01T01:00:00Z'))
  assert.match(html, /<td class="group-count short">1 \/ 2<\/td>/)
  assert.match(html, /mixed revisions/)
  assert.match(html, /<td class="host-checked stale">2026-01-01 00:00:00Z<\/td>/)
  assert.match(html, /<td class="group-health"><span class="badge unhealthy">unhealthy<\/span><\/td>/)
  const fresh = renderPage(hostileBoot(), Date.parse('2026-01-01T00:01:00Z'))
  assert.match(fresh, /<td class="host-checked">2026-01-01 00:00:00Z<\/td>/)
})

test('without --public-read the page holds no data and asks for a token', () => {
  const html = renderPage({version: '1', publicRead: false})
  assert.match(html, /<section id="auth" >/)
  assert.match(html, /needs a token/)
  assert.doesNotMatch(html, /data-host=/)
})

test('health roll-up: any unhealthy app makes the host and its group unhealthy; no answer is unknown', () => {
  const ok = {name: 'a', health: {web: {healthy: true}}}
  const bad = {name: 'b', health: {web: {healthy: true}, api: {healthy: false}}}
  const none = {name: 'c', health: {web: undefined}}
  assert.deepEqual([ok, bad, none].map(hostHealth), ['healthy', 'unhealthy', 'unknown'])
  assert.equal(groupHealth({group: 'g', hosts: [ok, ok]}), 'healthy')
  assert.equal(groupHealth({group: 'g', hosts: [ok, none]}), 'unknown')
  assert.equal(groupHealth({group: 'g', hosts: [ok, bad, none]}), 'unhealthy')
  assert.equal(groupHealth({group: 'g', hosts: []}), 'unknown')
})

test('the page script is valid JavaScript, one closure, never writes HTML; the CSP allows nothing inline', () => {
  assert.doesNotThrow(() => new vm.Script(DASHBOARD_JS, {filename: 'dashboard.js'}))
  assert.match(DASHBOARD_JS, /^\(function \(\) \{\n'use strict';/)
  assert.doesNotMatch(DASHBOARD_JS, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/)
  assert.ok(DASHBOARD_CSS.includes('.badge'))
  assert.match(CSP, /default-src 'self'/)
  assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval/)
})
