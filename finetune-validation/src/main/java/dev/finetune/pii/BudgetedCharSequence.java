package dev.finetune.pii;

/**
 * A view of a string that counts character reads and gives up after a budget, so a user's regex with
 * catastrophic backtracking ({@code (a+)+$}) fails fast instead of hanging a dataset upload. Java's regex
 * engine reads its input only through {@code charAt}, so the count bounds its work.
 */
final class BudgetedCharSequence implements CharSequence {
    /** Thrown when the budget is spent. */
    static final class BudgetExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BudgetExceeded() {
            super("regex matching budget exceeded", null, false, false);
        }
    }

    private final String text;
    private final int offset;
    private final int length;
    private final long[] remaining;

    BudgetedCharSequence(String text, long budget) {
        this(text, 0, text.length(), new long[] {budget});
    }

    private BudgetedCharSequence(String text, int offset, int length, long[] remaining) {
        this.text = text;
        this.offset = offset;
        this.length = length;
        this.remaining = remaining;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public char charAt(int index) {
        if (--remaining[0] < 0) {
            throw new BudgetExceeded();
        }
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException(index);
        }
        return text.charAt(offset + index);
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        if (start < 0 || end > length || start > end) {
            throw new IndexOutOfBoundsException("[" + start + ", " + end + ") of " + length);
        }
        return new BudgetedCharSequence(text, offset + start, end - start, remaining);
    }

    @Override
    public String toString() {
        return text.substring(offset, offset + length);
    }
}
