package dev.finetune.safetensors;

import java.util.Optional;

/**
 * The element types a safetensors header may name, with their size in bytes. Every type is known so
 * that a header can be checked in full; {@link SafetensorsReader} converts the floating-point types to
 * {@code float} and the integer types to {@code int}.
 */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2),
    I64(8), I32(4), I16(2), I8(1),
    U64(8), U32(4), U16(2), U8(1),
    BOOL(1), F8_E4M3(1), F8_E5M2(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** The header's spelling (the enum name, e.g. {@code "BF16"}). */
    public String wireName() {
        return name();
    }

    /** The type a header names, if it is one of the known spellings. */
    public static Optional<DType> fromWire(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }
}
