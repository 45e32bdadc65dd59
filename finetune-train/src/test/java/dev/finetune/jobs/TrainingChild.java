package dev.finetune.jobs;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.finetuning.FinetunedModel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A separate JVM for {@link TrainingKillTest}: uploads the dataset, creates the fine-tune, prints its id,
 * then keeps training until it is killed (or finishes).
 */
public final class TrainingChild {
    private TrainingChild() {
    }

    public static void main(String[] args) throws Exception {
        Path ws = Path.of(args[0]);
        Path base = Path.of(args[1]);
        Path data = Path.of(args[2]);
        try (ClientV2 co = ClientV2.builder().workspace(ws).build()) {
            Dataset d = co.wait(co.datasets().create(data, Optional.empty(), DatasetsCreateRequest.builder().name("kill")
                    .type(DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
            FinetunedModel m = co.finetuning().createFinetunedModel(TrainingKillTest.request(d.id(), base)).finetunedModel();
            System.out.println(m.id().orElseThrow());
            System.out.flush();
            co.wait(m, WaitOptions.timeout(Duration.ofMinutes(10)));
        }
    }
}
