import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { PDFDocument } from 'pdf-lib';
import { sealKeyRoutes } from '../../api/routes/seal-keys';
import { ConfigError, loadConfig } from '../../lib/config';
import type { SealKeys } from '../../lib/integrity/keys';
import { checkPdfSignature, developmentPdfSigner, signPdf } from '../../lib/pdf/signature';
import { createPdfSigner, publishedPdfCertificates } from '../../lib/pdf/signer-config';

/**
 * The PDF file's own signature (issue 14): a PKCS#12 made with openssl at test time (never
 * committed) configures the signer; a signed PDF checks valid, and any changed byte is caught.
 */

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tv-pdf-sign-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function opensslP12(passphrase: string): string {
  const key = path.join(work, 'key.pem');
  const crt = path.join(work, 'crt.pem');
  const p12 = path.join(work, 'cert.p12');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      crt,
      '-days',
      '2',
      '-subj',
      '/CN=Loja Exemplo Arquivo/O=Loja Exemplo/C=BR',
    ],
    { stdio: 'ignore' },
  );
  execFileSync(
    'openssl',
    [
      'pkcs12',
      '-export',
      '-inkey',
      key,
      '-in',
      crt,
      '-out',
      p12,
      '-passout',
      `pass:${passphrase}`,
      '-keypbe',
      'PBE-SHA1-3DES',
      '-certpbe',
      'PBE-SHA1-3DES',
      '-macalg',
      'sha1',
    ],
    { stdio: 'ignore' },
  );
  return fs.readFileSync(p12).toString('base64');
}

async function twoPages(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.addPage().drawText('Eu concordo com o reembolso.');
  doc.addPage().drawText('Como verificar este documento');
  doc.attach(Buffer.from('{"sealed":true}'), 'ticket-x.seal.json', { mimeType: 'application/json' });
  return doc.save();
}

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  return null;
};

test('a configured PKCS#12 signs; the signature covers the whole file, attachments included', async () => {
  const p12 = opensslP12('s3nha');
  const config = loadConfig({
    PDF_SIGNING_P12: p12,
    PDF_SIGNING_P12_PASSPHRASE: 's3nha',
    PDF_SIGNING_LOCATION: 'São Paulo, BR',
  });
  const signer = createPdfSigner(config);
  expect(signer).toMatchObject({
    development: false,
    name: 'Loja Exemplo Arquivo',
    location: 'São Paulo, BR',
  });
  const signed = await signPdf(await twoPages(), signer);
  const check = checkPdfSignature(signed);
  expect(check).toMatchObject({ status: 'valid', fingerprint256: signer.fingerprint256, selfSigned: true });
  expect(check.subject).toContain('CN=Loja Exemplo Arquivo');

  // A flipped byte anywhere outside the signature value, and one inside it.
  const attachment = signed.indexOf('ticket-x.seal.json');
  for (const at of [10, Math.floor(signed.length / 3), attachment, signed.length - 5]) {
    const flipped = Buffer.from(signed);
    flipped[at] = (flipped[at] as number) ^ 0x01;
    expect({ at, status: checkPdfSignature(flipped).status }).toEqual({ at, status: 'invalid' });
  }
  const contents = signed.indexOf('/Contents <') + '/Contents <'.length + 4000;
  const inSig = Buffer.from(signed);
  inSig[contents] = inSig[contents] === 0x41 ? 0x42 : 0x41;
  expect(checkPdfSignature(inSig).status).toBe('invalid');

  // Anything appended after signing (an incremental update) is outside the signed range.
  const appended = Buffer.concat([signed, Buffer.from('\n1 0 obj\n<<>>\nendobj\n')]);
  expect(checkPdfSignature(appended)).toMatchObject({
    status: 'invalid',
    problem: expect.stringContaining('modified or extended after signing'),
  });

  // An unsigned PDF is reported as such.
  expect(checkPdfSignature(Buffer.from(await twoPages())).status).toBe('none');
});

test('pdfsig (poppler) reports the signature valid, and a changed byte as a digest mismatch', async () => {
  const signed = await signPdf(await twoPages(), developmentPdfSigner());
  const file = path.join(work, 'signed.pdf');
  fs.writeFileSync(file, signed);
  const ok = execFileSync('pdfsig', [file], { encoding: 'utf8' });
  expect(ok).toContain('Signature Validation: Signature is Valid.');
  expect(ok).toContain('Total document signed');
  const flipped = Buffer.from(signed);
  flipped[200] = (flipped[200] as number) ^ 0x01;
  fs.writeFileSync(file, flipped);
  const bad = execFileSync('pdfsig', [file], { encoding: 'utf8' });
  expect(bad).not.toContain('Signature is Valid');
  expect(bad).toContain('Digest Mismatch');
});

test('the signer configuration: required outside local development, a bad file or passphrase named at start', () => {
  expect(createPdfSigner(loadConfig({})).development).toBe(true);
  const production = {
    NODE_ENV: 'production',
    ARCHIVE_ENCRYPTION_KEY: 'a1'.repeat(32),
    SESSION_SECRET: 'b2'.repeat(32),
  };
  const missing = errorOf(() => createPdfSigner(loadConfig(production)));
  expect(missing).toBeInstanceOf(ConfigError);
  expect(missing?.message).toContain('PDF_SIGNING_P12 is required');

  const p12 = opensslP12('right');
  const wrong = errorOf(() =>
    createPdfSigner(loadConfig({ ...production, PDF_SIGNING_P12: p12, PDF_SIGNING_P12_PASSPHRASE: 'wrong' })),
  );
  expect(wrong).toBeInstanceOf(ConfigError);
  expect(wrong?.message).toContain('PDF_SIGNING_P12');
  const notP12 = errorOf(() => loadConfig({ PDF_SIGNING_P12: 'not base64 at all!' }));
  expect(notP12?.message).toContain('PDF_SIGNING_P12');
  expect(
    createPdfSigner(loadConfig({ ...production, PDF_SIGNING_P12: p12, PDF_SIGNING_P12_PASSPHRASE: 'right' }))
      .development,
  ).toBe(false);
});

test('/.well-known/ticket-vault-keys publishes the PDF signing certificate, whose fingerprint is the one a signed PDF shows', async () => {
  const p12 = opensslP12('s3nha');
  const config = loadConfig({ PDF_SIGNING_P12: p12, PDF_SIGNING_P12_PASSPHRASE: 's3nha' });
  const certificates = publishedPdfCertificates(config);
  const app = Fastify();
  await app.register(sealKeyRoutes, {
    keys: async () => ({ publicKeys: [], development: false }) as unknown as SealKeys,
    pdfCertificates: certificates,
  });
  const body = (await app.inject({ method: 'GET', url: '/.well-known/ticket-vault-keys' })).json();
  await app.close();
  expect(body.pdfCertificates).toHaveLength(1);
  const [published] = body.pdfCertificates;
  expect(published.certificatePem).toContain('-----BEGIN CERTIFICATE-----');
  expect(published.certificatePem).not.toContain('PRIVATE KEY');
  expect(published.subject).toContain('CN=Loja Exemplo Arquivo');
  // What a third party compares: the fingerprint of the certificate inside a signed PDF.
  const check = checkPdfSignature(await signPdf(await twoPages(), createPdfSigner(config)));
  expect(published.fingerprint256).toBe(check.fingerprint256);
  expect(new X509Certificate(published.certificatePem).fingerprint256).toBe(check.fingerprint256);
  // A generated development certificate lives only in each worker's memory: nothing to publish.
  expect(publishedPdfCertificates(loadConfig({}))).toEqual([]);
});
