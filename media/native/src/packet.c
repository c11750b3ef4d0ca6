/*
 * The packet path's per-packet primitives, native: SRTP AES_CM_128_HMAC_SHA1_80
 * protect/unprotect here; sending in send.c, reading in reader.c.
 *
 * Why native: in JS each packet pays Node's crypto call overhead (a cipher
 * update, two one-shot hashes and their string digests) plus an XOR pass in
 * JS, about 10 µs per forwarded packet; dgram.send adds a request object and
 * libuv's queue checks. Here one N-API call does a packet's whole crypto with
 * OpenSSL's AES-NI/SHA-NI code, and sendto goes straight to the kernel.
 *
 * OpenSSL is Node's own: Node exports its libcrypto symbols to addons and
 * ships the headers (include/node/openssl), so there is nothing to link and
 * the primitives are the ones Node's crypto module uses. The JS side keeps the
 * SRTP state (rollover counters, replay), so this file holds no per-stream
 * state beyond keys; media/src/rtp/nativePacket.ts loads it and falls back to
 * the JS path when the addon did not build.
 */
#include <node_api.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "reader.h"
#include "send.h"

#define TAG_LENGTH 10

typedef struct {
  EVP_CIPHER_CTX *cipher; /* AES-128-CTR with the session key; the IV is set per packet */
  SHA_CTX inner;          /* SHA-1 state after the HMAC ipad block */
  SHA_CTX outer;          /* SHA-1 state after the HMAC opad block */
  uint8_t salt[14];
} SrtpKeys;

static void finalize_keys(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  SrtpKeys *k = data;
  EVP_CIPHER_CTX_free(k->cipher);
  free(k);
}

/* srtpKeys(sessionKey: 16 bytes, sessionSalt: 14 bytes, authKey: 20 bytes) → External */
static napi_value SrtpKeysNew(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *key, *salt, *auth;
  size_t key_len, salt_len, auth_len;
  if (argc < 3 || !get_buffer(env, argv[0], &key, &key_len) || !get_buffer(env, argv[1], &salt, &salt_len) ||
      !get_buffer(env, argv[2], &auth, &auth_len) || key_len != 16 || salt_len != 14 || auth_len > 64) {
    return throw_error(env, "srtpKeys(key16, salt14, authKey) expects buffers of those sizes");
  }
  SrtpKeys *k = calloc(1, sizeof(SrtpKeys));
  if (!k) return throw_error(env, "out of memory");
  k->cipher = EVP_CIPHER_CTX_new();
  if (!k->cipher || EVP_EncryptInit_ex(k->cipher, EVP_aes_128_ctr(), NULL, key, NULL) != 1) {
    EVP_CIPHER_CTX_free(k->cipher);
    free(k);
    return throw_error(env, "AES-128-CTR is not available");
  }
  memcpy(k->salt, salt, 14);
  uint8_t pad[64];
  memset(pad, 0x36, 64);
  for (size_t i = 0; i < auth_len; i++) pad[i] ^= auth[i];
  SHA1_Init(&k->inner);
  SHA1_Update(&k->inner, pad, 64);
  memset(pad, 0x5c, 64);
  for (size_t i = 0; i < auth_len; i++) pad[i] ^= auth[i];
  SHA1_Init(&k->outer);
  SHA1_Update(&k->outer, pad, 64);
  napi_value external;
  if (napi_create_external(env, k, finalize_keys, NULL, &external) != napi_ok) {
    finalize_keys(env, k, NULL);
    return throw_error(env, "could not wrap the keys");
  }
  return external;
}

/* RFC 3711 §4.1.1: IV = (salt << 16) XOR (SSRC << 64) XOR (index << 16), index = ROC << 16 | SEQ. */
static void rtp_iv(const SrtpKeys *k, uint32_t ssrc, uint32_t roc, uint32_t seq, uint8_t iv[16]) {
  memcpy(iv, k->salt, 14);
  iv[14] = iv[15] = 0;
  iv[4] ^= ssrc >> 24;
  iv[5] ^= ssrc >> 16;
  iv[6] ^= ssrc >> 8;
  iv[7] ^= ssrc;
  iv[8] ^= roc >> 24;
  iv[9] ^= roc >> 16;
  iv[10] ^= roc >> 8;
  iv[11] ^= roc;
  iv[12] ^= seq >> 8;
  iv[13] ^= seq;
}

static int ctr_xor(SrtpKeys *k, const uint8_t iv[16], const uint8_t *in, uint8_t *out, int length) {
  int n = 0;
  if (length <= 0) return 1;
  if (EVP_EncryptInit_ex(k->cipher, NULL, NULL, NULL, iv) != 1) return 0;
  return EVP_EncryptUpdate(k->cipher, out, &n, in, length) == 1 && n == length;
}

static void mac(const SrtpKeys *k, const uint8_t *data, size_t length, uint32_t roc, uint8_t digest[SHA_DIGEST_LENGTH]) {
  SHA_CTX c = k->inner;
  uint8_t r[4] = {roc >> 24, roc >> 16, roc >> 8, roc};
  SHA1_Update(&c, data, length);
  SHA1_Update(&c, r, 4);
  SHA1_Final(digest, &c);
  c = k->outer;
  SHA1_Update(&c, digest, SHA_DIGEST_LENGTH);
  SHA1_Final(digest, &c);
}

/*
 * srtpProtect(keys, out, offset, headerLength, src, srcAt, bodyLength, roc) → SRTP length
 * The RTP header is at out[offset, offset + headerLength); the body is read
 * from src[srcAt…] (src may be out) and written encrypted after the header,
 * then the tag. out needs TAG_LENGTH bytes of room after the packet.
 */
static napi_value SrtpProtect(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  SrtpKeys *k;
  uint8_t *out, *src;
  size_t out_len, src_len;
  int32_t offset, header_length, src_at, body_length;
  uint32_t roc;
  if (argc < 8 || napi_get_value_external(env, argv[0], (void **)&k) != napi_ok || !get_buffer(env, argv[1], &out, &out_len) ||
      !get_i32(env, argv[2], &offset) || !get_i32(env, argv[3], &header_length) || !get_buffer(env, argv[4], &src, &src_len) ||
      !get_i32(env, argv[5], &src_at) || !get_i32(env, argv[6], &body_length) || napi_get_value_uint32(env, argv[7], &roc) != napi_ok) {
    return throw_error(env, "srtpProtect: bad arguments");
  }
  if (offset < 0 || header_length < 12 || body_length < 0 || src_at < 0 ||
      (size_t)offset + header_length + body_length + TAG_LENGTH > out_len || (size_t)src_at + body_length > src_len) {
    return throw_error(env, "srtpProtect: out of bounds");
  }
  uint8_t *p = out + offset;
  uint32_t seq = (p[2] << 8) | p[3];
  uint32_t ssrc = ((uint32_t)p[8] << 24) | (p[9] << 16) | (p[10] << 8) | p[11];
  uint8_t iv[16];
  rtp_iv(k, ssrc, roc, seq, iv);
  if (!ctr_xor(k, iv, src + src_at, p + header_length, body_length)) return throw_error(env, "srtpProtect: cipher failed");
  size_t length = (size_t)header_length + body_length;
  uint8_t digest[SHA_DIGEST_LENGTH];
  mac(k, p, length, roc, digest);
  memcpy(p + length, digest, TAG_LENGTH);
  return int32_value(env, (int32_t)(length + TAG_LENGTH));
}

/*
 * srtpUnprotect(keys, buf, headerLength, length, roc) → RTP length, or -1
 * when the tag does not match. buf[0, length) is the SRTP packet; it is
 * decrypted in place.
 */
static napi_value SrtpUnprotect(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  SrtpKeys *k;
  uint8_t *buf;
  size_t buf_len;
  int32_t header_length, length;
  uint32_t roc;
  if (argc < 5 || napi_get_value_external(env, argv[0], (void **)&k) != napi_ok || !get_buffer(env, argv[1], &buf, &buf_len) ||
      !get_i32(env, argv[2], &header_length) || !get_i32(env, argv[3], &length) || napi_get_value_uint32(env, argv[4], &roc) != napi_ok) {
    return throw_error(env, "srtpUnprotect: bad arguments");
  }
  int32_t end = length - TAG_LENGTH;
  if (length < 0 || (size_t)length > buf_len || header_length < 12 || end < header_length) return int32_value(env, -1);
  uint8_t digest[SHA_DIGEST_LENGTH];
  mac(k, buf, end, roc, digest);
  uint8_t diff = 0;
  for (int i = 0; i < TAG_LENGTH; i++) diff |= digest[i] ^ buf[end + i];
  if (diff) return int32_value(env, -1);
  uint32_t seq = (buf[2] << 8) | buf[3];
  uint32_t ssrc = ((uint32_t)buf[8] << 24) | (buf[9] << 16) | (buf[10] << 8) | buf[11];
  uint8_t iv[16];
  rtp_iv(k, ssrc, roc, seq, iv);
  if (!ctr_xor(k, iv, buf + header_length, buf + header_length, end - header_length)) return throw_error(env, "srtpUnprotect: cipher failed");
  return int32_value(env, end);
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"srtpKeys", NULL, SrtpKeysNew, NULL, NULL, NULL, napi_default, NULL},
      {"srtpProtect", NULL, SrtpProtect, NULL, NULL, NULL, napi_default, NULL},
      {"srtpUnprotect", NULL, SrtpUnprotect, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  register_reader(env, exports);
  register_send(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
