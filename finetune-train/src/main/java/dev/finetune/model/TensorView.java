package dev.finetune.model;

import java.util.Arrays;

/**
 * One named tensor inside a flat buffer: elements {@code [offset, offset + size())} in row-major order.
 * The same view indexes the parameter buffer and the gradient buffer.
 *
 * @param name   HuggingFace name without the {@code transformer.} prefix, e.g. {@code h.0.attn.c_attn.weight}
 * @param offset index of the first element in the flat buffer
 * @param shape  dimensions, outermost first; Conv1D weights are {@code [in, out]}
 */
public record TensorView(String name, int offset, int[] shape) {

    public TensorView {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public int size() {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Number of dimensions (1 for biases and LayerNorm parameters, 2 for matrices). */
    public int rank() {
        return shape.length;
    }

    /** The shape as {@code long[]}, as safetensors wants it. */
    public long[] longShape() {
        return Arrays.stream(shape).asLongStream().toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorView v && name.equals(v.name) && offset == v.offset && Arrays.equals(shape, v.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + offset;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + "@" + offset;
    }
}
