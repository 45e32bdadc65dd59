package dev.finetune.safetensors;

import java.util.Arrays;

/**
 * One tensor of a safetensors file as its header describes it.
 *
 * @param name  the header key
 * @param dtype element type on file
 * @param shape dimensions, outermost first (empty for a scalar)
 * @param begin byte offset of the first element, relative to the start of the data buffer
 * @param end   byte offset one past the last element, relative to the start of the data buffer
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements: the product of the shape (1 for a scalar). */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Bytes on file. */
    public long byteLength() {
        return end - begin;
    }

    /** The shape as {@code [a, b]}. */
    public String shapeText() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype
                && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + shapeText() + " @[" + begin + ", " + end + ")";
    }
}
