// The error shape of the REST routes and of the operational ones (metrics,
// forward-auth): {statusCode, error, message}, as the escuelajs API answers.
import { STATUS_CODES } from 'node:http'
import { Type } from 'typebox'

export const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String()
})

export function errorBody (statusCode: number, message: string) {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message }
}
