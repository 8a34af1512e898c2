import { createHash, generateKeyPairSync, randomBytes, verify, X509Certificate } from 'node:crypto';
import { pdflibAddPlaceholder } from '@signpdf/placeholder-pdf-lib';
import { P12Signer } from '@signpdf/signer-p12';
import signpdf from '@signpdf/signpdf';
import forge from 'node-forge';
import { PDFDocument } from 'pdf-lib';

/**
 * The PDF file's own signature (ISO 32000-1 §12.8, PKCS#7 detached, SubFilter
 * `adbe.pkcs7.detached`): what Acrobat, Foxit, poppler's `pdfsig` and any PDF reader show as
 * "signed, not modified since". It is applied LAST, after the seal attachments are added, so its
 * byte range covers every page and every attachment; any later byte changed breaks it.
 *
 * Signing uses @signpdf (placeholder via pdf-lib, PKCS#7 via node-forge); the key and X.509
 * certificate come from a PKCS#12 file (`.p12`/`.pfx`, as CAs and ICP-Brasil A1 certificates
 * are delivered), configured as PDF_SIGNING_P12 / PDF_SIGNING_P12_PASSPHRASE. In local
 * development without one, a self-signed certificate is generated in memory per process
 * (`development: true`; its signatures are not evidence of origin).
 */

export interface PdfSigner {
  /** The PKCS#12 bytes and passphrase (what @signpdf/signer-p12 signs with). */
  p12: Buffer;
  passphrase: string;
  /** The signing certificate (PEM) and what a reader shows about it. */
  certificatePem: string;
  subject: string;
  /** SHA-256 fingerprint of the certificate's DER, colon-separated hex (as openssl prints it). */
  fingerprint256: string;
  /** Generated for local development: self-signed, not evidence of origin. */
  development: boolean;
  /** Shown by PDF readers in the signature panel. */
  name: string;
  location: string;
  contactInfo: string;
}

export class PdfSignerConfigError extends Error {
  override name = 'PdfSignerConfigError';
}

/** Room for the PKCS#7 blob: the certificate chain plus the signature (hex doubles it). */
const SIGNATURE_BYTES = 16_384;

/**
 * Reads a PKCS#12 (base64 or raw bytes): it must hold an RSA private key and the certificate
 * matching it. Throws a readable error otherwise (config validation calls this at start).
 */
export function pdfSignerFromP12(
  p12: Buffer,
  passphrase: string,
  opts: { development?: boolean; location?: string; contactInfo?: string } = {},
): PdfSigner {
  let parsed: forge.pkcs12.Pkcs12Pfx;
  try {
    parsed = forge.pkcs12.pkcs12FromAsn1(
      forge.asn1.fromDer(forge.util.createBuffer(p12.toString('binary'))),
      false,
      passphrase,
    );
  } catch (err) {
    throw new PdfSignerConfigError(
      `not a PKCS#12 file this passphrase opens (${(err as Error).message.slice(0, 120)})`,
    );
  }
  const keyOid = forge.pki.oids.pkcs8ShroudedKeyBag as string;
  const certOid = forge.pki.oids.certBag as string;
  const keyBags: forge.pkcs12.Bag[] = parsed.getBags({ bagType: keyOid })[keyOid] ?? [];
  const certBags: forge.pkcs12.Bag[] = parsed.getBags({ bagType: certOid })[certOid] ?? [];
  const key = keyBags[0]?.key as forge.pki.rsa.PrivateKey | undefined;
  if (!key || !('n' in key))
    throw new PdfSignerConfigError('the PKCS#12 holds no (shrouded) RSA private key');
  const cert = certBags
    .map((b) => b.cert)
    .find(
      (c): c is forge.pki.Certificate =>
        !!c &&
        (c.publicKey as forge.pki.rsa.PublicKey).n?.compareTo(key.n) === 0 &&
        (c.publicKey as forge.pki.rsa.PublicKey).e?.compareTo(key.e) === 0,
    );
  if (!cert) throw new PdfSignerConfigError('the PKCS#12 holds no certificate matching its private key');
  const certificatePem = forge.pki.certificateToPem(cert);
  const x509 = new X509Certificate(certificatePem);
  const cn = cert.subject.getField('CN')?.value as string | undefined;
  return {
    p12,
    passphrase,
    certificatePem,
    subject: x509.subject.replace(/\n/g, ', '),
    fingerprint256: x509.fingerprint256,
    development: opts.development ?? false,
    name: cn ?? 'ticket-vault',
    location: opts.location ?? '',
    contactInfo: opts.contactInfo ?? '',
  };
}

/**
 * A self-signed certificate made now, in memory, for local development and tests only (never
 * written anywhere). RSA keys come from node's generator; node-forge builds the certificate.
 */
export function developmentPdfSigner(
  commonName = 'ticket-vault local development (NOT EVIDENCE)',
): PdfSigner {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs1' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ format: 'pem', type: 'spki' }).toString());
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
  const attrs = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'ticket-vault development' },
  ];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
  ]);
  cert.sign(key, forge.md.sha256.create());
  const passphrase = randomBytes(12).toString('hex');
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], passphrase, { algorithm: '3des' });
  const p12 = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
  return pdfSignerFromP12(p12, passphrase, { development: true });
}

async function readAll(input: Uint8Array | AsyncIterable<Uint8Array | string>): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * Signs a finished PDF (bytes or a stream of them) and returns the signed file. Call it LAST: any
 * change made afterwards (an attachment, metadata) invalidates the signature. The signature
 * field is invisible and placed on the last page, where the verification instructions are.
 */
export async function signPdf(
  input: Uint8Array | AsyncIterable<Uint8Array | string>,
  signer: PdfSigner,
  opts: { reason?: string; signingTime?: Date } = {},
): Promise<Buffer> {
  const bytes = await readAll(input);
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  const pages = doc.getPages();
  const last = pages[pages.length - 1];
  if (!last) throw new Error('the PDF has no page to sign');
  const signingTime = opts.signingTime ?? new Date();
  pdflibAddPlaceholder({
    pdfPage: last,
    reason: opts.reason ?? 'ticket-vault evidence export',
    contactInfo: signer.contactInfo,
    name: signer.name,
    location: signer.location,
    signingTime,
    signatureLength: SIGNATURE_BYTES,
    appName: 'ticket-vault',
  });
  // No object streams: the signature dictionary must stay a plain object the signer can find.
  const withPlaceholder = Buffer.from(
    await doc.save({ useObjectStreams: false, updateFieldAppearances: false }),
  );
  return signpdf.sign(
    withPlaceholder,
    new P12Signer(signer.p12, { passphrase: signer.passphrase }),
    signingTime,
  );
}

export interface PdfSignatureCheck {
  /** `none`: the file has no signature; `valid`: every byte of the file is covered and the signature checks. */
  status: 'valid' | 'invalid' | 'none';
  /** Why it is invalid (names what: "modified after signing", "signature", …). */
  problem?: string;
  subject?: string;
  issuer?: string;
  fingerprint256?: string;
  selfSigned?: boolean;
  signingTime?: string;
  certificatePem?: string;
}

const asn1Children = (n: forge.asn1.Asn1): forge.asn1.Asn1[] => (Array.isArray(n.value) ? n.value : []);

/**
 * Checks the PDF's PKCS#7 signature offline, as a PDF reader does: the byte range must cover the
 * whole file except the signature itself (nothing appended after signing), the signed attributes'
 * message digest must be the SHA-256 of those bytes, and the signature over the attributes must
 * verify with the embedded certificate. Trust in the certificate (who it names) is separate: the
 * result gives its subject, issuer and fingerprint to compare.
 */
export function checkPdfSignature(pdf: Buffer): PdfSignatureCheck {
  const text = pdf.toString('latin1');
  const at = text.lastIndexOf('/ByteRange [');
  if (at < 0 || !/\/Type\s*\/Sig\b/.test(text)) return { status: 'none' };
  const invalid = (problem: string, extra: Partial<PdfSignatureCheck> = {}): PdfSignatureCheck => ({
    status: 'invalid',
    problem,
    ...extra,
  });
  const m = /^\/ByteRange \[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(text.slice(at, at + 80));
  if (!m) return invalid('its byte range cannot be read (the signature dictionary was altered)');
  const [a, b, c, d] = m.slice(1, 5).map(Number) as [number, number, number, number];
  if (a !== 0 || c < b || c + d !== pdf.length)
    return invalid(
      `the signature covers bytes 0–${b} and ${c}–${c + d} but the file has ${pdf.length} bytes: it was modified or extended after signing`,
    );
  const hex = text.slice(b, c);
  if (!/^<[0-9a-fA-F]+>$/.test(hex)) return invalid('the signature value was altered (not hex)');
  const signedData = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
  const digest = createHash('sha256').update(signedData).digest();

  let info: Partial<PdfSignatureCheck> = {};
  try {
    // The value is zero-padded to the placeholder's size: parse the DER by its declared length.
    const der = Buffer.from(hex.slice(1, -1), 'hex');
    const input = forge.util.createBuffer(der.toString('binary'));
    const asn = forge.asn1.fromDer(input, {
      strict: false,
      parseAllBytes: false,
    } as unknown as boolean);
    // The padding after the DER is not signed by itself: it must be the zeros the signer wrote.
    if (der.subarray(der.length - input.length()).some((byte) => byte !== 0))
      return invalid('the signature value was altered (bytes after the signature are not zero padding)');
    const p7 = forge.pkcs7.messageFromAsn1(asn) as forge.pkcs7.PkcsSignedData & {
      rawCapture?: { signerInfos?: forge.asn1.Asn1[] };
    };
    const signerInfo = p7.rawCapture?.signerInfos?.[0];
    if (!signerInfo) return invalid('the signature holds no signer');
    const parts = asn1Children(signerInfo);
    const attrs = parts.find((p) => p.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && p.type === 0);
    const sigValue = parts.find(
      (p) => p.tagClass === forge.asn1.Class.UNIVERSAL && p.type === forge.asn1.Type.OCTETSTRING,
    );
    if (!attrs || !sigValue) return invalid('the signature has no signed attributes');
    let messageDigest: string | null = null;
    let signingTime: string | undefined;
    for (const attr of asn1Children(attrs)) {
      const [oid, values] = asn1Children(attr);
      const type = forge.asn1.derToOid(oid?.value as string);
      const value = asn1Children(values as forge.asn1.Asn1)[0];
      if (type === forge.pki.oids.messageDigest) messageDigest = value?.value as string;
      if (type === forge.pki.oids.signingTime && value)
        signingTime = (
          value.type === forge.asn1.Type.UTCTIME
            ? forge.asn1.utcTimeToDate(value.value as string)
            : forge.asn1.generalizedTimeToDate(value.value as string)
        ).toISOString();
    }
    const set = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.SET, true, asn1Children(attrs));
    const signedAttrs = Buffer.from(forge.asn1.toDer(set).getBytes(), 'binary');
    const signature = Buffer.from(sigValue.value as string, 'binary');
    const certs = p7.certificates.map((x) => new X509Certificate(forge.pki.certificateToPem(x)));
    const cert = certs.find((x) => {
      try {
        return verify('sha256', signedAttrs, x.publicKey, signature);
      } catch {
        return false;
      }
    });
    const shown = cert ?? certs[0];
    info = shown
      ? {
          subject: shown.subject.replace(/\n/g, ', '),
          issuer: shown.issuer.replace(/\n/g, ', '),
          fingerprint256: shown.fingerprint256,
          selfSigned: shown.subject === shown.issuer,
          certificatePem: shown.toString(),
          signingTime,
        }
      : { signingTime };
    if (messageDigest === null) return invalid('the signature has no message digest', info);
    if (!Buffer.from(messageDigest, 'binary').equals(digest))
      return invalid(
        'the document was modified after it was signed (its SHA-256 is not the signed one)',
        info,
      );
    if (!cert) return invalid('the signature does not verify with the certificate it carries', info);
  } catch (err) {
    return invalid(`the signature cannot be read (${(err as Error).message.slice(0, 120)})`, info);
  }
  return { status: 'valid', ...info };
}
