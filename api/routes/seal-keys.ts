import type { FastifyPluginAsync } from 'fastify';
import type { SealKeyProvider } from '../../lib/integrity/key-provider';
import { publishedKey } from '../../lib/integrity/keys';
import type { PublishedPdfCertificate } from '../../lib/pdf/signer-config';

/**
 * The installation's public seal keys, current and retired, without authentication: whoever holds
 * a seal (an exported PDF, a seal copy) checks its signature against these (docs/evidence.md).
 */
export interface SealKeyRouteOptions {
  keys: SealKeyProvider;
  /** The certificate(s) exported PDFs are signed with (lib/pdf/signer-config.ts); none in development. */
  pdfCertificates?: PublishedPdfCertificate[];
}

const certificateSchema = {
  type: 'object',
  required: ['status', 'certificatePem', 'fingerprint256', 'subject', 'notAfter'],
  properties: {
    status: { type: 'string', enum: ['current'] },
    certificatePem: { type: 'string', description: 'X.509 certificate, PEM' },
    fingerprint256: {
      type: 'string',
      description:
        'SHA-256 of the certificate (DER), colon-separated hex, as verify-pdf and PDF readers show it',
    },
    subject: { type: 'string' },
    notAfter: { type: 'string', format: 'date-time' },
  },
} as const;

const keySchema = {
  type: 'object',
  required: ['keyId', 'status', 'algorithm', 'publicKeyPem', 'jwk'],
  properties: {
    keyId: { type: 'string', description: 'RFC 7638 JWK thumbprint (base64url SHA-256)' },
    status: { type: 'string', enum: ['current', 'retired'] },
    algorithm: { type: 'string', enum: ['Ed25519'] },
    publicKeyPem: { type: 'string', description: 'SubjectPublicKeyInfo, PEM' },
    jwk: {
      type: 'object',
      required: ['kty', 'crv', 'x', 'kid'],
      properties: {
        kty: { type: 'string' },
        crv: { type: 'string' },
        x: { type: 'string' },
        kid: { type: 'string' },
        use: { type: 'string' },
        alg: { type: 'string' },
      },
    },
  },
} as const;

export const sealKeyRoutes: FastifyPluginAsync<SealKeyRouteOptions> = async (app, opts) => {
  app.get(
    '/.well-known/ticket-vault-keys',
    {
      schema: {
        tags: ['evidence'],
        summary:
          'Public keys that sign seals (current and retired), and the certificate that signs exported PDFs, for checking them offline',
        response: {
          200: {
            type: 'object',
            required: ['keys'],
            properties: {
              keys: { type: 'array', items: keySchema },
              pdfCertificates: {
                type: 'array',
                items: certificateSchema,
                description:
                  "the certificate exported PDFs are signed with (PKCS#7): compare a PDF signature's certificate fingerprint with these; empty when the installation signs with a generated development certificate",
              },
              development: { type: 'boolean', description: 'true: a local development key, not evidence' },
            },
          },
        },
      },
    },
    async (_req, reply) => {
      const keys = await opts.keys();
      reply.header('cache-control', 'public, max-age=300');
      return {
        keys: keys.publicKeys.map(publishedKey),
        pdfCertificates: opts.pdfCertificates ?? [],
        development: keys.development,
      };
    },
  );
};
