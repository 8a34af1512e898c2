import { X509Certificate } from 'node:crypto';
import { type Config, ConfigError, pdfSignerSource } from '../config';
import { developmentPdfSigner, type PdfSigner, pdfSignerFromP12 } from './signature';

/**
 * The installation's PDF signer, built once at worker start: PDF_SIGNING_P12 (checked here, so a
 * bad file or passphrase stops the process naming the variable), or in local development a
 * self-signed certificate generated in memory (pdfSignerSource refuses that in production).
 */
export function createPdfSigner(config: Config): PdfSigner {
  const source = pdfSignerSource(config);
  if (source.kind === 'development') return developmentPdfSigner();
  try {
    return pdfSignerFromP12(source.p12, source.passphrase, {
      location: config.PDF_SIGNING_LOCATION,
      contactInfo: config.PDF_SIGNING_CONTACT,
    });
  } catch (err) {
    throw new ConfigError(`PDF_SIGNING_P12 / PDF_SIGNING_P12_PASSPHRASE: ${(err as Error).message}`);
  }
}

/** A PDF signing certificate as `/.well-known/ticket-vault-keys` publishes it (never the key). */
export interface PublishedPdfCertificate {
  status: 'current';
  certificatePem: string;
  /** SHA-256 of the certificate's DER, colon-separated hex: what verify-pdf and readers show. */
  fingerprint256: string;
  subject: string;
  notAfter: string;
}

/**
 * The certificate exported PDFs are signed with, for whoever checks a PDF's signer (docs/evidence.md).
 * Only a configured PDF_SIGNING_P12 is published: the development certificate is generated in
 * memory by each worker process, so no other process can know it (and it proves nothing).
 */
export function publishedPdfCertificates(config: Config): PublishedPdfCertificate[] {
  const source = config.PDF_SIGNING_P12 ? pdfSignerSource(config) : null;
  if (!source || source.kind !== 'configured') return [];
  let signer: PdfSigner;
  try {
    signer = pdfSignerFromP12(source.p12, source.passphrase);
  } catch (err) {
    throw new ConfigError(`PDF_SIGNING_P12 / PDF_SIGNING_P12_PASSPHRASE: ${(err as Error).message}`);
  }
  return [
    {
      status: 'current',
      certificatePem: signer.certificatePem,
      fingerprint256: signer.fingerprint256,
      subject: signer.subject,
      notAfter: new Date(new X509Certificate(signer.certificatePem).validTo).toISOString(),
    },
  ];
}
