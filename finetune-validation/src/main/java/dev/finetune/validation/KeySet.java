package dev.finetune.validation;

/**
 * A set of 128-bit keys (exact-duplicate detection) in two open-addressed {@code long[]} tables:
 * 16 bytes per slot at load ≤ 0.5, about 32 bytes per example, no object per entry. Not thread-safe.
 */
final class KeySet {
    private long[] a = new long[1024];
    private long[] b = new long[1024];
    private boolean[] used = new boolean[1024];
    private int size;

    /** Adds the key; false when it was already present. */
    boolean add(Hashes.Key k) {
        if ((size + 1) * 2 > a.length) {
            grow();
        }
        return insert(k.a(), k.b());
    }

    boolean contains(Hashes.Key k) {
        int mask = a.length - 1;
        for (int i = (int) k.a() & mask; used[i]; i = (i + 1) & mask) {
            if (a[i] == k.a() && b[i] == k.b()) {
                return true;
            }
        }
        return false;
    }

    int size() {
        return size;
    }

    private boolean insert(long ka, long kb) {
        int mask = a.length - 1;
        int i = (int) ka & mask;
        while (used[i]) {
            if (a[i] == ka && b[i] == kb) {
                return false;
            }
            i = (i + 1) & mask;
        }
        used[i] = true;
        a[i] = ka;
        b[i] = kb;
        size++;
        return true;
    }

    private void grow() {
        long[] oa = a;
        long[] ob = b;
        boolean[] ou = used;
        a = new long[oa.length * 2];
        b = new long[oa.length * 2];
        used = new boolean[oa.length * 2];
        size = 0;
        for (int i = 0; i < oa.length; i++) {
            if (ou[i]) {
                insert(oa[i], ob[i]);
            }
        }
    }
}
