package dev.finetune.validation;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Every text validation can produce, in one place. The service's documented messages are kept word
 * for word (including their odd spacing, {@code (line : X)}); this library's own additions follow
 * the same style and name the line, the field and the rule. {@link #isDocumented(String)} recognizes
 * exactly these texts (the fuzz tests hold validation to it).
 */
public final class Messages {
    private Messages() {
    }

    // ---- the service's texts ----

    public static String extraSpeaker(String role, long line) {
        return "extra speaker in example: " + role + " (line : " + line + ")";
    }

    /** The documented text, word for word; {@link #located} adds the line for the warnings. */
    public static String missingChatbot() {
        return "missing Chatbot in example";
    }

    /** "{message} (line : N)", the documented extra-speaker style of naming a line. */
    public static String located(String message, long line) {
        return message + " (line : " + line + ")";
    }

    public static String missingChatbot(long line) {
        return located(missingChatbot(), line);
    }

    public static String missingUser() {
        return "missing User in example";
    }

    public static String missingUser(long line) {
        return located(missingUser(), line);
    }

    /** {@code eval} false: "train preambles are too long: ..."; true: "invalid eval file: preambles are too long: ...". */
    public static String preamblesTooLong(boolean eval, List<Long> lines, int maxTokens) {
        return (eval ? "invalid eval file: preambles are too long: " : "train preambles are too long: ") + lines.size()
                + " preamble" + (lines.size() == 1 ? "" : "s") + " over " + maxTokens + " tokens (lines: " + joinLines(lines) + ")";
    }

    /**
     * {@code pairs} is "x:y, ...": x the conversation's 0-based index in its part (the service: "the
     * conversation index x (which starts at 0)"), y how many of its turns are dropped.
     */
    public static String tooManyTokens(boolean eval, String pairs) {
        return (eval ? "eval" : "train") + " dataset has conversations with too many tokens. conversation number: "
                + "number of turns with too many tokens is as follows, " + pairs;
    }

    public static String notEnoughValid(long valid, long received, long badEncoding, long duplicated, long tooManyTokens,
            String requirement) {
        return "not enough valid examples: found only " + valid + " valid train examples of " + received + " received ("
                + badEncoding + " incorrectly encoded, " + duplicated + " duplicated, " + tooManyTokens + " too many tokens); "
                + requirement;
    }

    public static final String REQUIRE_2_NO_EVAL = "at least 2 valid examples required since no eval data was provided";

    public static String requireAtLeast(int n) {
        return "at least " + n + " valid example" + (n == 1 ? "" : "s") + " required";
    }

    public static final String AUTO_SPLIT = "dataset has 0 valid eval rows. dataset will be auto-split";

    public static String requiredField(String field, long line) {
        return "The required field " + field + " was not found in the dataset (line: " + line + ")";
    }

    public static String csvHeader(List<String> fields) {
        return "csv files must have a header with the required fields: [" + String.join(", ", fields) + "]";
    }

    // ---- this library's texts, same style ----

    public static String notJsonl(long line, String type, String schema) {
        return "line " + line + " is not a JSON object: " + type + " expects JSONL, one JSON object per line, like " + schema;
    }

    public static String invalidJson(long line, String detail) {
        return "line " + line + " is not valid JSON: " + detail;
    }

    public static String lineTooLong(long line, int maxBytes) {
        return "line " + line + " is longer than " + (maxBytes >> 20) + " MiB (" + maxBytes + " bytes), the longest line allowed";
    }

    public static String wrongType(String field, String expected, long line) {
        return "The field " + field + " must be " + expected + " (line: " + line + ")";
    }

    public static String emptyField(String field, long line) {
        return "The field " + field + " must not be empty (line: " + line + ")";
    }

    public static String csvFieldCount(int got, int expected, long line) {
        return "csv row has " + got + " fields but the header has " + expected + " (line: " + line + ")";
    }

    public static String unterminatedQuote(long line) {
        return "csv row has an unterminated quoted field (line: " + line + ")";
    }

    public static String incorrectlyEncoded(boolean eval, long count, List<Long> lines) {
        return (eval ? "eval" : "train") + " dataset has " + count + " incorrectly encoded line" + (count == 1 ? "" : "s")
                + " (not UTF-8), dropped (lines: " + joinLines(lines) + ")";
    }

    public static String duplicates(boolean eval, long count) {
        return (eval ? "eval" : "train") + " dataset has " + count + " exact duplicate example" + (count == 1 ? "" : "s")
                + ", dropped";
    }

    public static String skipped(String rowMessage) {
        return "skipped malformed row: " + rowMessage;
    }

    public static String skippedMore(long more) {
        return "skipped " + more + " more malformed rows";
    }

    public static String moreErrors(long more) {
        return "and " + more + " more errors";
    }

    public static String leakage(long count) {
        return count + " eval example" + (count == 1 ? "" : "s") + " also appear" + (count == 1 ? "s" : "")
                + " in the train data (leakage): eval scores will look better than they are";
    }

    public static String notEnoughEval(long valid) {
        return "invalid eval file: found only " + valid + " valid eval examples; at least 1 required";
    }

    public static String passageBothRelevantAndNegative(long line) {
        return "a passage is both a relevant passage and a hard negative (line: " + line + ")";
    }

    public static String hardNegativesRemoved(boolean eval, long count) {
        return (eval ? "eval" : "train") + " dataset: removed " + count + " empty or duplicate hard negative"
                + (count == 1 ? "" : "s");
    }

    public static String pairsTruncated(long count, int maxTokens) {
        return count + " query+passage pair" + (count == 1 ? "" : "s") + " exceed" + (count == 1 ? "s " : " ") + maxTokens
                + " tokens and will be truncated";
    }

    public static String notEnoughQueries(long found, int min) {
        return "not enough unique queries: found only " + found + " unique queries in the train data; at least " + min + " required";
    }

    public static String notEnoughLabels(long found) {
        return "at least 2 unique labels are required; found only " + found;
    }

    public static String tooFewPerLabel(String labels, int min) {
        return "each label needs at least " + min + " examples; too few: " + labels;
    }

    public static String filterDropped(String part, long line, String reason) {
        return part + " line " + line + " dropped before storage: " + reason;
    }

    public static String unknownType(String type) {
        return "unknown dataset type " + type + "; known types: chat-finetune-input, prompt-completion-finetune-input, "
                + "reranker-finetune-input, single-label-classification-finetune-input, multi-label-classification-finetune-input";
    }

    public static String fileTooLarge(String file, long bytes, long max) {
        return "file " + file + " is " + bytes + " bytes; the largest dataset file allowed is 1.5 GB (" + max + " bytes)";
    }

    public static String csvNotAllowed(String type) {
        return "csv files are not supported for " + type + "; upload JSONL";
    }

    static String joinLines(List<Long> lines) {
        StringBuilder sb = new StringBuilder();
        int shown = Math.min(lines.size(), 20);
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(lines.get(i));
        }
        if (lines.size() > shown) {
            sb.append(", ...");
        }
        return sb.toString();
    }

    private static final List<Pattern> DOCUMENTED = List.of(
            "extra speaker in example: .* \\(line : \\d+\\)",
            "missing (Chatbot|User) in example \\(line : \\d+\\)",
            "(train preambles are too long|invalid eval file: preambles are too long): \\d+ preambles? over \\d+ tokens \\(lines: [\\d, .]+\\)",
            "(train|eval) dataset has conversations with too many tokens\\. conversation number: number of turns with too many tokens is as follows, .*",
            "not enough valid examples: found only \\d+ valid train examples of \\d+ received \\(\\d+ incorrectly encoded, \\d+ duplicated, \\d+ too many tokens\\); .*",
            "dataset has 0 valid eval rows\\. dataset will be auto-split",
            "The required field \\S+ was not found in the dataset \\(line: \\d+\\)",
            "csv files must have a header with the required fields: \\[.*\\]",
            "line \\d+ is not a JSON object: .*",
            "line \\d+ is not valid JSON: .*",
            "line \\d+ is longer than \\d+ MiB \\(\\d+ bytes\\), the longest line allowed",
            "The field \\S+ must (be .*|not be empty) \\(line: \\d+\\)",
            "csv row has .* \\(line: \\d+\\)",
            "(train|eval) dataset has \\d+ incorrectly encoded lines? \\(not UTF-8\\), dropped \\(lines: [\\d, .]+\\)",
            "(train|eval) dataset has \\d+ exact duplicate examples?, dropped",
            "skipped malformed row: .*",
            "skipped \\d+ more malformed rows",
            "and \\d+ more errors",
            "\\d+ eval examples? also appears? in the train data \\(leakage\\).*",
            "invalid eval file: found only \\d+ valid eval examples; at least 1 required",
            "a passage is both a relevant passage and a hard negative \\(line: \\d+\\)",
            "(train|eval) dataset: removed \\d+ empty or duplicate hard negatives?",
            "\\d+ query\\+passage pairs? exceeds? \\d+ tokens and will be truncated",
            "not enough unique queries: .*",
            "at least 2 unique labels are required; found only \\d+",
            "each label needs at least \\d+ examples; too few: .*",
            "csv files are not supported for .*",
            "file .* is \\d+ bytes; the largest dataset file allowed is 1\\.5 GB \\(\\d+ bytes\\)").stream().map(p -> Pattern.compile(p, Pattern.DOTALL)).toList();

    /** True when {@code message} is one of the texts above (the contract the fuzz tests check). */
    public static boolean isDocumented(String message) {
        for (String prefix : List.of("invalid eval file: ", "eval file: ", "eval: ")) {
            if (message.startsWith(prefix) && isDocumented(message.substring(prefix.length()))) {
                return true;
            }
        }
        for (Pattern p : DOCUMENTED) {
            if (p.matcher(message).matches()) {
                return true;
            }
        }
        return false;
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
