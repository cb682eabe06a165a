/* al_sha256.h: SHA-256 (FIPS 180-4), small and dependency-free, for the audit log's hash chain. */
#ifndef AL_SHA256_H
#define AL_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct al_sha256 {
    uint32_t state[8];
    uint64_t length;     /* bytes hashed so far */
    uint8_t block[64];   /* the partial block not yet compressed */
    size_t block_len;
} al_sha256;

void al_sha256_init(al_sha256 *s);
void al_sha256_update(al_sha256 *s, const void *data, size_t len);
void al_sha256_final(al_sha256 *s, uint8_t digest[32]);

/* The digest of `len` bytes as 64 lowercase hexadecimal characters plus a NUL. */
void al_sha256_hex(const void *data, size_t len, char hex[65]);
/* Writes a 32-byte digest as 64 lowercase hex characters plus a NUL. */
void al_hex_digest(const uint8_t digest[32], char hex[65]);

#endif
