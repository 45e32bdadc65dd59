package dev.finetune.validation;

import dev.finetune.ClientV2;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The other process in the crash and lock tests: {@code hold DIR} opens the workspace and waits;
 * {@code create DIR FILE} uploads FILE again and again. Prints {@code ready} once the workspace is
 * open, and {@code created} after each upload. (A test helper: it is the one place in these sources that writes to stdout.)
 */
public final class WorkspaceChild {
    private WorkspaceChild() {
    }

    public static void main(String[] args) throws Exception {
        try (ClientV2 co = ClientV2.builder().workspace(Path.of(args[1]))
                .validator(new DatasetValidation(WordTokenizer.INSTANCE)).build()) {
            System.out.println("ready");
            System.out.flush();
            if (args[0].equals("hold")) {
                Thread.sleep(60_000);
                return;
            }
            for (int i = 0; i < 1000; i++) {
                co.datasets().create(Path.of(args[2]), Optional.empty(),
                        DatasetsCreateRequest.builder().name("crash " + i).type(DatasetType.CHAT_FINETUNE_INPUT).build());
                System.out.println("created");
                System.out.flush();
            }
        }
    }
}
