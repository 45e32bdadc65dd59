package dev.finetune;

import java.math.BigDecimal;

/**
 * The one range check of request fields, with the one message format:
 * {@code "<field>: <value> is outside the allowed range <min> to <max> (inclusive)"}, or
 * {@code "... the allowed range <min> or more"} for a field with no upper bound. Failures are
 * {@link BadRequestException}s, so {@code catch (FinetuneException e)} sees every request error.
 */
public final class Ranges {
    private Ranges() {
    }

    public static void check(String field, double value, double min, double max) {
        if (!(value >= min && value <= max)) {
            throw outside(field, plain(value), plain(min) + " to " + plain(max) + " (inclusive)");
        }
    }

    public static void check(String field, long value, long min, long max) {
        if (value < min || value > max) {
            throw outside(field, Long.toString(value), min + " to " + max + " (inclusive)");
        }
    }

    /** Bounds compared in float, so that {@code 0.01f} is inside 0.01 to 0.99. */
    public static void check(String field, float value, float min, float max) {
        if (!(value >= min && value <= max)) {
            throw outside(field, plain(value), plain(min) + " to " + plain(max) + " (inclusive)");
        }
    }

    public static void atLeast(String field, long value, long min) {
        if (value < min) {
            throw outside(field, Long.toString(value), min + " or more");
        }
    }

    /** A request error that is not a range: {@code "<field>: <rule>"}. */
    public static BadRequestException invalid(String field, String rule) {
        return new BadRequestException(field + ": " + rule);
    }

    private static BadRequestException outside(String field, String value, String range) {
        return new BadRequestException(field + ": " + value + " is outside the allowed range " + range);
    }

    private static String plain(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return Double.toString(v);
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }

    private static String plain(float v) {
        if (Float.isNaN(v) || Float.isInfinite(v)) {
            return Float.toString(v);
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e7) {
            return Long.toString((long) v);
        }
        return new BigDecimal(Float.toString(v)).stripTrailingZeros().toPlainString();
    }
}
