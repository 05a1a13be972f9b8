// Reading the gateway's GraphiQL page as a browser would.

export interface GraphiQLSettings {
  endpoint: string
  tabs: Array<{ query: string, variables?: string, headers?: string }>
  defaultHeaders: string
}

/** The settings the page hands its start-up script, from its JSON data block. */
export function graphiqlSettings (html: string): GraphiQLSettings {
  const block = /<script id="graphiql-settings" type="application\/json">([^<]*)<\/script>/.exec(html)
  if (block === null) throw new Error('no settings block in the page')
  return JSON.parse(block[1] as string) as GraphiQLSettings
}
