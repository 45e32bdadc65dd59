package dev.finetune.kernel;

import java.util.Locale;

/**
 * How a {@link WeightMatrix} stores its weights for inference: {@code F32} (4 bytes a weight),
 * {@code BF16} and {@code F16} (2 bytes, widened to float in registers, exactly), and {@code Q8_0}
 * (weight-only int8 in blocks of {@link #Q8_BLOCK} consecutive weights of a row, each block with one
 * float scale {@code d = max|w| / 127}, {@code w ≈ d·q}: 1.125 bytes a weight; the layout of
 * llama.cpp's Q8_0, with a float scale where llama.cpp keeps an F16 one).
 */
public enum WeightType {
    F32(4.0), BF16(2.0), F16(2.0), Q8_0(1.0 + 4.0 / 32);

    /** Weights per Q8_0 block (one scale each). */
    public static final int Q8_BLOCK = 32;

    private final double bytesPerWeight;

    WeightType(double bytesPerWeight) {
        this.bytesPerWeight = bytesPerWeight;
    }

    /** Bytes of memory per weight, scales included. */
    public double bytesPerWeight() {
        return bytesPerWeight;
    }

    /** The lower-case spelling options and flags use ({@code f32}, {@code bf16}, {@code f16}, {@code q8_0}). */
    public String optionName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type {@code name} spells ({@code f32}, {@code bf16}, {@code f16}, {@code q8_0}; any case). */
    public static WeightType parse(String name) {
        for (WeightType t : values()) {
            if (t.name().equalsIgnoreCase(name.trim())) {
                return t;
            }
        }
        throw new IllegalArgumentException("weight type \"" + name + "\" is not one of f32, bf16, f16, q8_0");
    }
}
