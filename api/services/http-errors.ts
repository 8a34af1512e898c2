/** Errors the API maps to HTTP answers; the message names the problem and never holds a secret. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (msg: string) => new HttpError(400, 'bad_request', msg);
export const unauthorized = (msg: string) => new HttpError(401, 'unauthorized', msg);
export const forbidden = (msg: string) => new HttpError(403, 'forbidden', msg);
export const badGateway = (msg: string) => new HttpError(502, 'bad_gateway', msg);
export const unavailable = (msg: string) => new HttpError(503, 'unavailable', msg);
export const notFound = (msg: string) => new HttpError(404, 'not_found', msg);
export const tooManyRequests = (msg: string) => new HttpError(429, 'rate_limited', msg);
export const exportTooLarge = (msg: string) => new HttpError(422, 'export_too_large', msg);
