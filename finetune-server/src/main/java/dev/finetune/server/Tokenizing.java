package dev.finetune.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.BadRequestException;
import dev.finetune.ClientV2;
import dev.finetune.NotFoundException;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.finetuning.Status;
import dev.finetune.inference.ModelFolders;
import dev.finetune.json.Json;
import dev.finetune.tokenizer.ByteLevelBpe;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code /v1/tokenize} and {@code /v1/detokenize} with the model's own tokenizer: the files beside a
 * fine-tuned model, a built base model or a model folder (GPT-2's vocabulary when a folder has none).
 */
final class Tokenizing {
    /** The service's limit on {@code text}. */
    static final int MAX_TEXT_CHARS = 65536;
    private static final int CACHE_SIZE = 32;

    private final ClientV2 co;
    private final Map<Path, ByteLevelBpe> cache = new ConcurrentHashMap<>();

    Tokenizing(ClientV2 co) {
        this.co = co;
    }

    ObjectNode tokenize(JsonNode b) {
        WireRequests.requireObject(b);
        String text = WireRequests.requiredText(b, "text", "text");
        if (text.isEmpty() || text.length() > MAX_TEXT_CHARS) {
            throw new BadRequestException("text: must be 1 to " + MAX_TEXT_CHARS + " characters, got " + text.length());
        }
        ByteLevelBpe bpe = tokenizer(WireRequests.requiredText(b, "model", "model"));
        int[] ids = bpe.encode(text);
        ObjectNode o = Json.object();
        ArrayNode tokens = o.putArray("tokens");
        ArrayNode strings = o.putArray("token_strings");
        for (int id : ids) {
            tokens.add(id);
            strings.add(bpe.decode(new int[] {id}));
        }
        o.putObject("meta").putObject("api_version").put("version", "1");
        return o;
    }

    ObjectNode detokenize(JsonNode b) {
        WireRequests.requireObject(b);
        JsonNode t = b.get("tokens");
        if (t == null || !t.isArray()) {
            throw new BadRequestException("tokens: required, a list of token ids");
        }
        ByteLevelBpe bpe = tokenizer(WireRequests.requiredText(b, "model", "model"));
        int[] ids = new int[t.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode n = t.get(i);
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.intValue() < 0 || n.intValue() >= bpe.vocabSize()) {
                throw new BadRequestException("tokens[" + i + "]: " + n + " is not a token id of this model (0 to "
                        + (bpe.vocabSize() - 1) + ")");
            }
            ids[i] = n.intValue();
        }
        ObjectNode o = Json.object();
        o.put("text", bpe.decode(ids));
        o.putObject("meta").putObject("api_version").put("version", "1");
        return o;
    }

    private ByteLevelBpe tokenizer(String model) {
        Path dir = folder(model);
        if (cache.size() > CACHE_SIZE) {
            cache.clear();
        }
        return cache.computeIfAbsent(dir, d -> ModelFolders.tokenizer(d, Integer.MAX_VALUE));
    }

    private Path folder(String model) {
        if (model.endsWith("-ft")) {
            String id = model.substring(0, model.length() - 3);
            Status st = co.finetuning().getFinetunedModel(id).finetunedModel().status().orElse(Status.STATUS_UNSPECIFIED);
            if (!st.equals(Status.STATUS_READY)) {
                throw new BadRequestException("fine-tuned model " + model + " is " + st + ", not STATUS_READY");
            }
            return co.finetuning().modelFolder(id);
        }
        Optional<BaseModels.Spec> spec = BaseModels.builtIn(model);
        if (spec.isPresent()) {
            Path dir = co.root().resolve("base-models").resolve(model);
            if (!BaseModels.isBuilt(dir)) {
                throw new BadRequestException("base model " + model + " is not built yet: a first chat or generate "
                        + "request with it builds it, or run ./finetune base-models build " + model);
            }
            return dir;
        }
        return ModelFolders.asFolder(model).orElseThrow(() -> new NotFoundException("unknown model \"" + model
                + "\": expected \"<id>-ft\", a built-in base model or the path of a model folder"));
    }
}
