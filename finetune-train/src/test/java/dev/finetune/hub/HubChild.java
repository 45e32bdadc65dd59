package dev.finetune.hub;

/**
 * A separate JVM for the hub tests: {@code HubChild NAME} resolves the hub model with this process's
 * environment (the test sets {@code HF_ENDPOINT}, {@code HF_HUB_CACHE}, {@code HF_TOKEN}) and prints
 * {@code WAITING FILE} when it has to wait for another process's download, then {@code DONE PATH},
 * or {@code ERROR message} (exit status 3).
 */
public final class HubChild {
    private HubChild() {
    }

    public static void main(String[] args) {
        try {
            java.nio.file.Path p = HubModels.resolve(args[0], HubConfig.fromEnvironment(), new DownloadListener() {
                @Override
                public void onWaiting(String file) {
                    System.out.println("WAITING " + file);
                    System.out.flush();
                }
            });
            System.out.println("DONE " + p);
            System.exit(0);
        } catch (HubException e) {
            System.out.println("ERROR " + e.getMessage());
            System.exit(3);
        }
    }
}
