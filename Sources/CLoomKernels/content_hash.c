#include "loom_kernels.h"

#include <string.h>

/* Keys: the first 56 outputs of splitmix64 seeded with 0x4C4F4F4D ("LOOM"). Stripe s of a block
   uses keys s..s+7 (so stripes are not interchangeable), the block scramble 24-31, the two
   output halves 32-39 and 40-47, the starting lanes 48-55. */
static const uint64_t loom_hash_keys[56] = {
    0x6cd62813ae579c7cull, 0x7dc39d5968341695ull, 0x21515fb6bb7398c9ull, 0x76dbc51eaa398d0dull,
    0x0e21a08c97e3f754ull, 0x2c9d53abbc6e0f81ull, 0x06a7e39ea9c7afc4ull, 0xe7041296e8e4c5eaull,
    0x8758e21a2b9580f2ull, 0x477a0a30d56f9c40ull, 0x756dfc3ff55b7f48ull, 0x6b3695250d242417ull,
    0x14dec9a784ce0db0ull, 0xc9d30e53228fd7d1ull, 0x1f418e53fd724150ull, 0x0259082d3962ba05ull,
    0x308045dda10c8207ull, 0x5dd575f2724cf574ull, 0x40af9e86780665b0ull, 0x21cbe8f824f98de5ull,
    0x892d8c8a5eb2d72dull, 0xa52415bf5fca9a10ull, 0xdc9c6e36ba39f99full, 0x81ebefed11eff0c7ull,
    0xfd5b8be49f1d1f16ull, 0x710d9da91a00d0eeull, 0x6341c1c18b773a05ull, 0x00236b60d06bd402ull,
    0x2fad6f8eea1f9fc8ull, 0xee76c1266833e820ull, 0x51b74c1fd714817eull, 0xbdd73b02d4d896deull,
    0xb2d342ada0c52611ull, 0x52cd88e51e4838f8ull, 0x0893ee062c52c429ull, 0xb4871ed307573370ull,
    0x24a9dbe88de0ec47ull, 0xf90d5e2ac5679295ull, 0x39bfdbb096615c69ull, 0xd47eca8a78633495ull,
    0x2858b9341b3aaef8ull, 0x41cde316a98bfa4full, 0xea566803f9543f27ull, 0x20253d3c04260f94ull,
    0x3a3637f91fef42f3ull, 0x969b8973b154a1a1ull, 0xbcb2acb93766671full, 0x2ce44e12f983ddd6ull,
    0x358456fe8e4a81d6ull, 0xaac32ce08e6fea93ull, 0x68bc2a19ecd54834ull, 0xb8fdc2dacb05e465ull,
    0x36e964ede3be438eull, 0x6dc2fc2c45c9f42aull, 0xaff45ba4529c6b54ull, 0x0d6c3a68a3379977ull,
};

static inline uint64_t loom_load64le(const uint8_t *bytes) {
    uint64_t value;
    memcpy(&value, bytes, 8);
    return value; /* x86-64 and arm64 are little-endian */
}

/* One 64-byte stripe into the eight lanes: each word, keyed, adds the product of its two halves
   to its own lane and its raw value to the neighbouring lane, so a word whose keyed half is zero
   still counts. Plain C over fixed-size arrays: clang turns it into vpmuludq on four lanes at a
   time. */
static inline void loom_hash_stripe(uint64_t lanes[LOOM_CONTENT_HASH_LANES], const uint8_t *stripe, const uint64_t *keys) {
    uint64_t words[LOOM_CONTENT_HASH_LANES], products[LOOM_CONTENT_HASH_LANES];
    for (int i = 0; i < LOOM_CONTENT_HASH_LANES; i++) {
        words[i] = loom_load64le(stripe + 8 * i);
        uint64_t keyed = words[i] ^ keys[i];
        products[i] = (keyed & 0xffffffffull) * (keyed >> 32);
    }
    for (int i = 0; i < LOOM_CONTENT_HASH_LANES; i++) lanes[i] += products[i] + words[i ^ 1];
}

/* A whole block, then a scramble (a bijection per lane) that makes the order of blocks count. */
static void loom_hash_block(uint64_t lanes[LOOM_CONTENT_HASH_LANES], const uint8_t *block) {
    for (int s = 0; s < LOOM_CONTENT_HASH_BLOCK / 64; s++) loom_hash_stripe(lanes, block + 64 * s, loom_hash_keys + s);
    for (int i = 0; i < LOOM_CONTENT_HASH_LANES; i++) {
        uint64_t lane = lanes[i];
        lane ^= lane >> 47;
        lane ^= loom_hash_keys[24 + i];
        lanes[i] = lane * 0x9E3779B1ull;
    }
}

void loom_content_hash_init(loom_content_hash_state *state) {
    memcpy(state->lanes, loom_hash_keys + 48, sizeof state->lanes);
    state->total = 0;
    state->pending_count = 0;
}

void loom_content_hash_update(loom_content_hash_state *state, const uint8_t *bytes, size_t count) {
    state->total += count;
    if (state->pending_count > 0) {
        size_t take = LOOM_CONTENT_HASH_BLOCK - state->pending_count;
        if (take > count) take = count;
        memcpy(state->pending + state->pending_count, bytes, take);
        state->pending_count += take;
        bytes += take;
        count -= take;
        if (state->pending_count < LOOM_CONTENT_HASH_BLOCK) return;
        loom_hash_block(state->lanes, state->pending);
        state->pending_count = 0;
    }
    while (count >= LOOM_CONTENT_HASH_BLOCK) {
        loom_hash_block(state->lanes, bytes);
        bytes += LOOM_CONTENT_HASH_BLOCK;
        count -= LOOM_CONTENT_HASH_BLOCK;
    }
    memcpy(state->pending, bytes, count);
    state->pending_count = count;
}

/* Murmur3's 64-bit finaliser: every input bit reaches every output bit. */
static inline uint64_t loom_hash_avalanche(uint64_t value) {
    value ^= value >> 33;
    value *= 0xff51afd7ed558ccdull;
    value ^= value >> 33;
    value *= 0xc4ceb9fe1a85ec53ull;
    value ^= value >> 33;
    return value;
}

static inline uint64_t loom_hash_fold(uint64_t a, uint64_t b) {
    __uint128_t product = (__uint128_t)a * b;
    return (uint64_t)product ^ (uint64_t)(product >> 64);
}

void loom_content_hash_final(const loom_content_hash_state *state, uint8_t digest[16]) {
    uint64_t lanes[LOOM_CONTENT_HASH_LANES];
    memcpy(lanes, state->lanes, sizeof lanes);
    /* The unfinished block: its whole stripes, then the last one padded with zeros (the total
       length, mixed in below, tells a padded tail from real zeros). */
    size_t whole = state->pending_count / 64;
    for (size_t s = 0; s < whole; s++) loom_hash_stripe(lanes, state->pending + 64 * s, loom_hash_keys + s);
    if (state->pending_count % 64 != 0) {
        uint8_t last[64] = {0};
        memcpy(last, state->pending + 64 * whole, state->pending_count % 64);
        loom_hash_stripe(lanes, last, loom_hash_keys + whole);
    }
    uint64_t low = state->total * 0x9E3779B185EBCA87ull, high = ~state->total * 0xC2B2AE3D27D4EB4Full;
    for (int i = 0; i < LOOM_CONTENT_HASH_LANES; i += 2) {
        low += loom_hash_fold(lanes[i] ^ loom_hash_keys[32 + i], lanes[i + 1] ^ loom_hash_keys[33 + i]);
        high += loom_hash_fold(lanes[i] ^ loom_hash_keys[40 + i], lanes[i + 1] ^ loom_hash_keys[41 + i]);
    }
    low = loom_hash_avalanche(low);
    high = loom_hash_avalanche(high);
    for (int i = 0; i < 8; i++) {
        digest[i] = (uint8_t)(low >> (56 - 8 * i));
        digest[8 + i] = (uint8_t)(high >> (56 - 8 * i));
    }
}
