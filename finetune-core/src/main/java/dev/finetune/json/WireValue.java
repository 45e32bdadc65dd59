package dev.finetune.json;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A forward-compatible wire enum: a few known constants, and any other value kept as it came and
 * written back unchanged. {@code toString()} is the wire value; equal values of one type are equal.
 */
public abstract class WireValue {
    private final String value;

    protected WireValue(String value) {
        this.value = java.util.Objects.requireNonNull(value, "value");
    }

    /** The known constants by wire value, in declaration order. */
    @SafeVarargs
    protected static <T extends WireValue> Map<String, T> index(T... known) {
        Map<String, T> m = new LinkedHashMap<>();
        for (T t : known) {
            m.put(t.toString(), t);
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    @JsonValue
    @Override
    public final String toString() {
        return value;
    }

    @Override
    public final boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && value.equals(((WireValue) o).value);
    }

    @Override
    public final int hashCode() {
        return value.hashCode();
    }
}
