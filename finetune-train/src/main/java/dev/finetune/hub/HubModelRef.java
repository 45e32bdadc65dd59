package dev.finetune.hub;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A model repository on the HuggingFace Hub and the revision wanted: {@code ORG/NAME} or
 * {@code ORG/NAME@REVISION}, where the revision is a branch, a tag or a 40-digit commit hash
 * (default {@code main}). The repository id follows the hub's rules: two parts of letters, digits,
 * {@code - _ .}, each starting and ending with a letter or digit, no {@code --} or {@code ..}, at most
 * 96 characters.
 *
 * @param repoId   {@code ORG/NAME}
 * @param revision a branch, tag or commit hash
 */
public record HubModelRef(String repoId, String revision) {
    public static final String DEFAULT_REVISION = "main";

    private static final Pattern PART = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");
    // branch and tag names as git allows them, minus what could escape a folder (no "..", no leading "/")
    private static final Pattern REVISION = Pattern.compile("[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*");

    public HubModelRef {
        String why = invalidRepoId(repoId);
        if (why != null) {
            throw new IllegalArgumentException("hub model \"" + repoId + "\": " + why);
        }
        if (revision == null || !REVISION.matcher(revision).matches() || revision.contains("..")) {
            throw new IllegalArgumentException("hub model " + repoId + ": revision \"" + revision
                    + "\" is not a branch, tag or commit hash (letters, digits, - _ . and /)");
        }
    }

    /** Parses {@code ORG/NAME[@REVISION]}; throws {@link IllegalArgumentException} saying what is wrong. */
    public static HubModelRef parse(String name) {
        if (name == null) {
            throw new IllegalArgumentException("hub model name is missing (expected ORG/NAME[@REVISION])");
        }
        int at = name.indexOf('@');
        String repo = at < 0 ? name : name.substring(0, at);
        String rev = at < 0 ? DEFAULT_REVISION : name.substring(at + 1);
        if (at >= 0 && rev.isEmpty()) {
            throw new IllegalArgumentException("hub model \"" + name + "\": nothing after @ (expected ORG/NAME@REVISION)");
        }
        return new HubModelRef(repo, rev);
    }

    /** The reference when {@code name} has the shape {@code ORG/NAME[@REVISION]}. */
    public static Optional<HubModelRef> tryParse(String name) {
        try {
            return Optional.of(parse(name));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Whether {@code name} has the shape {@code ORG/NAME[@REVISION]}. */
    public static boolean looksLikeHubName(String name) {
        return tryParse(name).isPresent();
    }

    static String invalidRepoId(String repoId) {
        if (repoId == null || repoId.isEmpty()) {
            return "the repository id is empty (expected ORG/NAME)";
        }
        String[] parts = repoId.split("/", -1);
        if (parts.length != 2) {
            return "expected ORG/NAME, one '/' between the organisation and the name";
        }
        if (repoId.length() > 96) {
            return "longer than the hub's 96 characters";
        }
        if (repoId.contains("--") || repoId.contains("..")) {
            return "'--' and '..' are not allowed in a repository id";
        }
        for (String p : parts) {
            if (!PART.matcher(p).matches()) {
                return "\"" + p + "\" is not a valid part (letters, digits, - _ ., starting and ending with a letter or digit)";
            }
        }
        return null;
    }

    /** Whether the revision is a full commit hash (immutable, so a cached copy never needs a check). */
    public boolean isCommit() {
        return COMMIT.matcher(revision).matches();
    }

    static boolean isCommitHash(String s) {
        return s != null && COMMIT.matcher(s).matches();
    }

    /** The repository's folder in the cache: {@code models--ORG--NAME}. */
    public String folderName() {
        return "models--" + repoId.replace("/", "--");
    }

    /** A reference to the same repository at {@code rev}. */
    public HubModelRef at(String rev) {
        return new HubModelRef(repoId, rev);
    }

    @Override
    public String toString() {
        return repoId + "@" + revision;
    }
}
