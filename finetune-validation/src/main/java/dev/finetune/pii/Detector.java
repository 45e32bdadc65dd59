package dev.finetune.pii;

import java.util.List;

/**
 * One family of rules. Implementations are immutable and thread-safe, run in time linear in the text
 * (hand-written scanners or regexes with bounded quantifiers anchored by a look-behind) and add raw
 * candidates to {@code out}; the scanner applies the confidence threshold and resolves overlaps.
 */
interface Detector {
    void detect(String text, List<Finding> out);
}
