package dev.finetune.safetensors;

/**
 * IEEE binary16 (F16) and bfloat16 (BF16) to and from {@code float}, rounding to nearest, ties to even
 * (Java 17 has no {@code Float.float16ToFloat}). Bits are carried in the low 16 bits of an {@code int}.
 */
public final class HalfFloats {
    private HalfFloats() {
    }

    /** The float an F16 bit pattern stands for (exact: every F16 value is a float). */
    public static float f16ToFloat(int bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 31) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** The nearest F16 (ties to even); overflow becomes infinity, NaN stays NaN. */
    public static int floatToF16(float value) {
        int f = Float.floatToRawIntBits(value);
        int sign = (f >>> 16) & 0x8000;
        int abs = f & 0x7fffffff;
        if (abs >= 0x7f800000) {
            return abs > 0x7f800000 ? sign | 0x7e00 | ((abs >>> 13) & 0x3ff) : sign | 0x7c00;
        }
        if (abs >= 0x477ff000) {
            // 65520 and above round past the largest finite F16 (65504)
            return sign | 0x7c00;
        }
        if (abs < 0x38800000) {
            // below 2^-14, the smallest normal F16: count units of 2^-24 (scaling by 2^24 is exact)
            return sign | (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24f);
        }
        int h = (((abs >>> 23) - 112) << 10) | ((abs & 0x7fffff) >>> 13);
        int rest = abs & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0)) {
            h++; // a carry into the exponent is the right answer
        }
        return sign | h;
    }

    /** The float a BF16 bit pattern stands for (exact). */
    public static float bf16ToFloat(int bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }

    /** The nearest BF16 (ties to even); NaN stays NaN. */
    public static int floatToBf16(float value) {
        int f = Float.floatToRawIntBits(value);
        if ((f & 0x7fffffff) > 0x7f800000) {
            return ((f >>> 16) | 0x40) & 0xffff;
        }
        return ((f + 0x7fff + ((f >>> 16) & 1)) >>> 16) & 0xffff;
    }
}
