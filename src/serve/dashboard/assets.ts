/**
 * The dashboard's static files, kept as text in modules (they ship in dist/ with the rest, no copy step): the page's
 * script (three parts in one closure) and its style sheet.
 */
import {CLIENT_CORE} from './assets/client-core.js'
import {CLIENT_LIVE} from './assets/client-live.js'
import {CLIENT_VIEWS} from './assets/client-views.js'
export {DASHBOARD_CSS, FAVICON_SVG} from './assets/style.js'

export const DASHBOARD_JS = `(function () {\n'use strict';\n${CLIENT_CORE}\n${CLIENT_VIEWS}\n${CLIENT_LIVE}\n})();\n`
