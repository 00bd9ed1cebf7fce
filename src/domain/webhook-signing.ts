/**
 * Webhook message signing and encryption (pure functions over node:crypto).
 *
 * Signature (Standard Webhooks): `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`
 * where body is the exact request body sent and timestamp is in whole seconds. The key is the
 * SharedKey's UTF-8 bytes; a key written `whsec_<base64>` is the base64-decoded bytes, as the standard
 * writes secrets.
 *
 * Encryption (Encrypt=1): MSG becomes base64(nonce[12] ‖ ciphertext ‖ tag[16]), AES-256-GCM of the
 * MSG JSON, with key = HKDF-SHA256(SharedKey bytes, salt "", info "insight-webhook-msg") (32 bytes)
 * and the delivery's webhook-id as additional authenticated data, so a ciphertext cannot be replayed
 * under another message id. The signature covers the body with the encrypted MSG.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

const ENCRYPTION_INFO = 'insight-webhook-msg';

export function keyBytes(sharedKey: string): Buffer {
  return sharedKey.startsWith('whsec_') ? Buffer.from(sharedKey.slice(6), 'base64') : Buffer.from(sharedKey, 'utf8');
}

export function signWebhook(sharedKey: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', keyBytes(sharedKey)).update(`${id}.${timestampSeconds}.`).update(body).digest('base64');
  return `v1,${mac}`;
}

/** True when one of the space-separated `v1,` signatures in the header is the right one. */
export function verifyWebhook(sharedKey: string, id: string, timestampSeconds: number, body: string | Buffer, header: string): boolean {
  const expected = Buffer.from(signWebhook(sharedKey, id, timestampSeconds, body));
  return header.split(' ').some((sig) => {
    const got = Buffer.from(sig);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}

function encryptionKey(sharedKey: string): Buffer {
  return Buffer.from(hkdfSync('sha256', keyBytes(sharedKey), Buffer.alloc(0), ENCRYPTION_INFO, 32));
}

export function encryptMessage(sharedKey: string, messageId: string, plaintext: string, nonce: Buffer = randomBytes(12)): string {
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(sharedKey), nonce);
  cipher.setAAD(Buffer.from(messageId, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64');
}

/** The receiver's side (and the tests'): throws when the key, id or ciphertext do not fit. */
export function decryptMessage(sharedKey: string, messageId: string, encoded: string): string {
  const data = Buffer.from(encoded, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey(sharedKey), data.subarray(0, 12));
  decipher.setAAD(Buffer.from(messageId, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]).toString('utf8');
}
