// Response serializers built once per schema. Fastify asks for one per route
// and status code, and most of those are the same schema object again: the
// /api/v1 aliases, the HEAD twin of every GET, `/users` and `/users/`, and
// the error body nearly every route declares. fast-json-stringify has no
// cache of its own, and a schema with a union (anyOf) costs it a fresh Ajv
// each time, so without this the same few serializers are generated some
// two hundred times at every start.
import { SerializerSelector, type SerializerCompiler, type SerializerFactory } from '@fastify/fast-json-stringify-compiler'

type Serializer = ReturnType<SerializerCompiler>

export function sharedSerializers (): SerializerFactory {
  const factory = SerializerSelector()
  // Contexts with no schemas added (addSchema) of their own compile alike: they share one cache.
  const shared = new WeakMap<object, Serializer>()
  return (externalSchemas, options) => {
    const compile = factory(externalSchemas, options)
    const own = typeof externalSchemas === 'object' && externalSchemas !== null && Object.keys(externalSchemas).length > 0
    const built = own ? new WeakMap<object, Serializer>() : shared
    return (route) => {
      const schema = route.schema
      if (typeof schema !== 'object' || schema === null) return compile(route)
      let serializer = built.get(schema)
      if (serializer === undefined) {
        serializer = compile(route)
        built.set(schema, serializer)
      }
      return serializer
    }
  }
}
