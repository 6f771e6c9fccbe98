// Checks that a webhook request came from tnps (docs/alerts.md).
//
//   node verify_signature.js BODY_FILE SIGNATURE_HEADER SECRET_FILE [SECRET_FILE]
//
// exits 0 if the request is authentic and recent, 1 if not.
'use strict';
const crypto = require('crypto');
const fs = require('fs');

// Requests older than this are refused, so that a captured request cannot
// be replayed later.
const TOLERANCE_SECONDS = 300;

// True if `signatureHeader` (Tnps-Signature) signs `body` (a Buffer of the
// raw bytes, before any JSON parsing) with one of `secrets`, recently.
function verify(body, signatureHeader, secrets, now = Date.now() / 1000) {
  const fields = signatureHeader.split(',').filter((p) => p.includes('='))
      .map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]);
  const timestamps = fields.filter(([k]) => k === 't').map(([, v]) => v);
  if (timestamps.length !== 1 || !/^[0-9]+$/.test(timestamps[0])) return false;
  if (Math.abs(now - Number(timestamps[0])) > TOLERANCE_SECONDS) return false;
  const signed = Buffer.concat([Buffer.from(timestamps[0] + '.'), body]);
  const signatures = fields.filter(([k]) => k === 'v1').map(([, v]) => Buffer.from(v));
  return secrets.some((secret) => {
    const expected = Buffer.from(
        crypto.createHmac('sha256', secret).update(signed).digest('hex'));
    return signatures.some(
        (s) => s.length === expected.length && crypto.timingSafeEqual(s, expected));
  });
}

module.exports = {verify};

if (require.main === module) {
  const [bodyFile, header, ...secretFiles] = process.argv.slice(2);
  const secrets = secretFiles.map((f) => fs.readFileSync(f, 'utf8').trim());
  process.exit(verify(fs.readFileSync(bodyFile), header, secrets) ? 0 : 1);
}
