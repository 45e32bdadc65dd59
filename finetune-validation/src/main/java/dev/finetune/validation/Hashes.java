package dev.finetune.validation;

import java.nio.charset.StandardCharsets;

/** Small non-cryptographic hashes for set membership (unique queries) and 128-bit dedup keys. */
final class Hashes {
    private Hashes() {
    }

    static long fnv64(String s) {
        return fnv64(s.getBytes(StandardCharsets.UTF_8), 0xcbf29ce484222325L);
    }

    static long fnv64(byte[] b, long seed) {
        long h = seed;
        for (byte x : b) {
            h ^= x & 0xFF;
            h *= 0x100000001b3L;
        }
        return mix(h);
    }

    /** A 128-bit key for exact-duplicate detection: two independently seeded 64-bit hashes of the bytes. */
    static Key key(byte[] b) {
        return new Key(fnv64(b, 0xcbf29ce484222325L), fnv64(b, 0x84222325cbf29ce4L ^ b.length));
    }

    /** Final avalanche (splitmix64) so that near-identical inputs spread over the whole range. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    record Key(long a, long b) {
    }
}
