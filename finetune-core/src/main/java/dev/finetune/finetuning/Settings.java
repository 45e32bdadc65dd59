package dev.finetune.finetuning;

import dev.finetune.BadRequestException;
import java.util.Optional;

/** A fine-tune's settings: {@code base_model}, {@code dataset_id}, optional {@code hyperparameters} and {@code wandb}. */
public record Settings(BaseModel baseModel, String datasetId, Optional<Hyperparameters> hyperparameters,
                       Optional<WandbConfig> wandb) {
    public Settings {
        if (baseModel == null) {
            throw new BadRequestException("settings.base_model: required");
        }
        if (datasetId == null || datasetId.isBlank()) {
            throw new BadRequestException("settings.dataset_id: required");
        }
        hyperparameters = hyperparameters == null ? Optional.empty() : hyperparameters;
        wandb = wandb == null ? Optional.empty() : wandb;
    }

    public static BaseModelStage builder() {
        return new Builder();
    }

    public interface BaseModelStage {
        DatasetStage baseModel(BaseModel baseModel);
    }

    public interface DatasetStage {
        Builder datasetId(String datasetId);
    }

    public static final class Builder implements BaseModelStage, DatasetStage {
        private BaseModel baseModel;
        private String datasetId;
        private Hyperparameters hyperparameters;
        private WandbConfig wandb;

        @Override
        public DatasetStage baseModel(BaseModel baseModel) {
            this.baseModel = baseModel;
            return this;
        }

        @Override
        public Builder datasetId(String datasetId) {
            this.datasetId = datasetId;
            return this;
        }

        public Builder hyperparameters(Hyperparameters h) {
            this.hyperparameters = h;
            return this;
        }

        public Builder wandb(WandbConfig w) {
            this.wandb = w;
            return this;
        }

        public Settings build() {
            return new Settings(baseModel, datasetId, Optional.ofNullable(hyperparameters), Optional.ofNullable(wandb));
        }
    }
}
