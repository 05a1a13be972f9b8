// Starts GraphiQL on the endpoint the page names, with the endpoint's first
// operations in tabs. Runs after the UMD builds of React, ReactDOM and
// GraphiQL (globals); a file of its own, since the page's CSP allows no
// inline script. The settings come from the page's JSON data block.
/* global React, ReactDOM, GraphiQL */
'use strict'

;(function start () {
  const settings = JSON.parse(document.getElementById('graphiql-settings').textContent)
  const endpoint = new URL(settings.endpoint, document.baseURI)
  document.getElementById('endpoint').textContent = endpoint.pathname

  /** Shows the token of the last X-Authorization response header (header-token logins). */
  function showHeaderToken (token) {
    const field = document.getElementById('header-token')
    field.value = token
    field.closest('.header-token').hidden = false
  }

  /** POSTs the operation as JSON; an answer that is not JSON is shown as an error rather than lost. */
  async function fetcher (params, options) {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json', ...(options?.headers ?? {}) },
      body: JSON.stringify(params)
    })
    const token = response.headers.get('x-authorization')
    if (token !== null) showHeaderToken(token)
    const text = await response.text()
    try {
      return JSON.parse(text)
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text || response.statusText}` }] }
    }
  }

  /**
   * GraphiQL's storage kept in memory: the variables editor holds passwords
   * and refresh tokens, which would otherwise stay in localStorage. Each
   * visit opens on the endpoint's first operations again.
   */
  function memoryStorage () {
    const items = new Map()
    return {
      getItem: key => items.get(key) ?? null,
      setItem: (key, value) => { items.set(key, String(value)) },
      removeItem: key => { items.delete(key) },
      get length () { return items.size },
      clear: () => { items.clear() }
    }
  }

  const [first] = settings.tabs
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, {
    fetcher,
    defaultTabs: settings.tabs,
    // GraphiQL fills the editors of the tab it opens on from these, not from defaultTabs.
    variables: first.variables,
    headers: first.headers,
    defaultHeaders: settings.defaultHeaders,
    defaultEditorToolsVisibility: 'variables',
    shouldPersistHeaders: false,
    storage: memoryStorage()
  }))
})()
