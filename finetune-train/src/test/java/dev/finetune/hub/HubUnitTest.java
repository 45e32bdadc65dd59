package dev.finetune.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HubUnitTest {
    @Test
    void parsesOrgNameAndRevision() {
        HubModelRef r = HubModelRef.parse("HuggingFaceTB/SmolLM2-135M-Instruct");
        assertEquals("HuggingFaceTB/SmolLM2-135M-Instruct", r.repoId());
        assertEquals("main", r.revision());
        assertEquals("models--HuggingFaceTB--SmolLM2-135M-Instruct", r.folderName());
        assertFalse(r.isCommit());
        assertEquals("v1.0", HubModelRef.parse("org/name@v1.0").revision());
        assertEquals("refs/pr/1", HubModelRef.parse("org/name@refs/pr/1").revision());
        assertTrue(HubModelRef.parse("org/name@" + "a".repeat(40)).isCommit());
        assertEquals("org/name@main", r.at("main").toString().replace("HuggingFaceTB/SmolLM2-135M-Instruct", "org/name"));
    }

    @Test
    void rejectsNamesThatAreNotHubRepositories() {
        for (String bad : new String[] {"base-light", "/abs/path/to/folder", "./rel/folder", "../x/y", "a/b/c", "org/",
                "/name", "org--x/y", "org/na..me", "org/name@", "org/name@../../etc", "-org/name", "org/name-",
                "org/" + "n".repeat(96)}) {
            assertFalse(HubModelRef.looksLikeHubName(bad), bad);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HubModelRef.parse("a/b/c"));
        assertTrue(e.getMessage().contains("ORG/NAME"), e.getMessage());
        assertTrue(HubModels.isHubName("openai-community/gpt2"));
    }

    @Test
    void cacheFolderFollowsHuggingFaceHubsEnvironmentVariables() {
        Path home = Path.of(System.getProperty("user.home"));
        assertEquals(home.resolve(".cache/huggingface/hub"), HubConfig.fromEnvironment(Map.of()).cacheDir());
        assertEquals(Path.of("/x/hf/hub"), HubConfig.fromEnvironment(Map.of("HF_HOME", "/x/hf")).cacheDir());
        assertEquals(Path.of("/xdg/huggingface/hub"), HubConfig.fromEnvironment(Map.of("XDG_CACHE_HOME", "/xdg")).cacheDir());
        assertEquals(Path.of("/c"), HubConfig.fromEnvironment(Map.of("HF_HOME", "/x/hf", "HF_HUB_CACHE", "/c")).cacheDir());
        assertEquals(home.resolve("c"), HubConfig.fromEnvironment(Map.of("HF_HUB_CACHE", "~/c")).cacheDir());
        assertEquals(URI.create("https://huggingface.co"), HubConfig.fromEnvironment(Map.of()).endpoint());
        assertEquals(URI.create("http://127.0.0.1:8080/mirror"),
                HubConfig.fromEnvironment(Map.of("HF_ENDPOINT", "http://127.0.0.1:8080/mirror/")).endpoint());
        assertThrows(IllegalArgumentException.class, () -> HubConfig.fromEnvironment(Map.of("HF_ENDPOINT", "ftp://x")));
        for (String yes : new String[] {"1", "true", "ON", "yes"}) {
            assertTrue(HubConfig.fromEnvironment(Map.of("HF_HUB_OFFLINE", yes)).offline(), yes);
        }
        assertFalse(HubConfig.fromEnvironment(Map.of("HF_HUB_OFFLINE", "0")).offline());
        assertTrue(HubConfig.fromEnvironment(Map.of("TRANSFORMERS_OFFLINE", "1")).offline());
        HubConfig withToken = HubConfig.fromEnvironment(Map.of("HF_TOKEN", "hf_secretSecret", "HF_HOME", "/nonexistent"));
        assertTrue(withToken.hasToken());
        assertEquals("HF_TOKEN", withToken.tokenSource().orElseThrow());
        assertFalse(withToken.toString().contains("hf_secretSecret"), withToken.toString());
        assertFalse(HubConfig.fromEnvironment(Map.of("HF_HOME", "/nonexistent")).hasToken());
    }

    @Test
    void selectsOnlyTheFilesAModelNeeds() {
        List<String> repo = List.of(".gitattributes", "README.md", "config.json", "generation_config.json",
                "model.safetensors", "pytorch_model.bin", "tf_model.h5", "flax_model.msgpack", "onnx/model.onnx",
                "onnx/model.safetensors", "model.gguf", "merges.txt", "vocab.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "chat_template.jinja", "runs/events.out");
        assertEquals(List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "vocab.json", "merges.txt", "chat_template.jinja", "model.safetensors"),
                HubClient.select(repo));
        // a sharded repository: the index (its shards are added once it is read), never the consolidated copy
        assertEquals(List.of("config.json", "model.safetensors.index.json"), HubClient.select(List.of("config.json",
                "model.safetensors.index.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "consolidated.safetensors")));
    }

    @Test
    void etagsAndUrlsAreNormalisedAsHuggingFaceHubDoes() {
        assertEquals("abc", HubClient.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HubClient.normalizeEtag("\"abc\""));
        assertEquals("refs%2Fpr%2F1", HubClient.encode("refs/pr/1", false));
        assertEquals("sub/a%20b.json", HubClient.encode("sub/a b.json", true));
        assertTrue(HubClient.sameOrigin(URI.create("https://huggingface.co/x"), URI.create("https://huggingface.co")));
        assertTrue(HubClient.sameOrigin(URI.create("https://huggingface.co:443/x"), URI.create("https://huggingface.co")));
        assertFalse(HubClient.sameOrigin(URI.create("https://cdn-lfs.hf.co/x"), URI.create("https://huggingface.co")));
        assertFalse(HubClient.sameOrigin(URI.create("http://127.0.0.1:2/x"), URI.create("http://127.0.0.1:1")));
        assertEquals("1.6 MB", HubClient.bytes(1_614_328));
        assertEquals("999 B", HubClient.bytes(999));
    }
}
