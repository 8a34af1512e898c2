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
