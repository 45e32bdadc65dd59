package dev.finetune.hub;

/**
 * What a download reports as it goes, for a progress bar; library code never prints, the caller
 * renders these. Called on the downloading thread; keep it quick.
 */
public interface DownloadListener {
    /** A listener that ignores everything. */
    DownloadListener NONE = new DownloadListener() {
    };

    /**
     * The files are known: {@code files} of them still to fetch, {@code bytes} in all (already-cached
     * files not counted).
     */
    default void onStart(HubModelRef model, String commit, int files, long bytes) {
    }

    /**
     * Bytes arrived: {@code fileDone} of {@code fileSize} for {@code file}, {@code done} of {@code total}
     * for the whole model (a resumed file starts at its resumed size).
     */
    default void onProgress(String file, long fileDone, long fileSize, long done, long total) {
    }

    /** Another process (or thread) is downloading the same blob; this one waits for it. */
    default void onWaiting(String file) {
    }

    /** {@code file} is in the snapshot ({@code downloaded} false when its blob was already cached). */
    default void onFileDone(String file, long size, boolean downloaded) {
    }
}
