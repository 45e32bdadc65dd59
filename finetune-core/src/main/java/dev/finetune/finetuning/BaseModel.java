package dev.finetune.finetuning;

import dev.finetune.BadRequestException;
import java.util.Optional;

/**
 * What a fine-tune starts from: its {@code base_type} and optionally a {@code name} — a built-in base
 * model ({@code base-light}), the path of a HuggingFace model folder, or a HuggingFace Hub model
 * {@code ORG/NAME[@REVISION]} (downloaded once into the cache huggingface_hub uses). Without a name the built-in
 * default for the type is used.
 */
public record BaseModel(BaseType baseType, Optional<String> name) {
    public BaseModel {
        if (baseType == null) {
            throw new BadRequestException("base_model.base_type: required");
        }
        name = name == null ? Optional.empty() : name;
    }

    public static BaseModel of(BaseType type) {
        return new BaseModel(type, Optional.empty());
    }

    public static BaseModel of(BaseType type, String name) {
        return new BaseModel(type, Optional.of(name));
    }
}
