/** Shared JSON schemas, registered once and referenced by $ref from routes. */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'stable code (api/services/http-errors.ts ERROR_CODES)' },
    message: {
      type: 'string',
      description: 'English detail for logs and operators; UIs translate the codes',
    },
    reason: {
      type: 'string',
      description: 'finer code when the caller can correct the request (ERROR_REASONS)',
    },
    params: {
      type: 'object',
      additionalProperties: { type: ['string', 'number'] },
      description: 'values the translated message names, e.g. { field: "from" }',
    },
  },
} as const;
