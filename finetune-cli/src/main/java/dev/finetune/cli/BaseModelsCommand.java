package dev.finetune.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.finetune.basemodels.BaseModels;
import dev.finetune.hub.HubCache;
import dev.finetune.hub.HubClient;
import dev.finetune.hub.HubConfig;
import dev.finetune.hub.HubModelRef;
import dev.finetune.hub.HubModels;
import dev.finetune.json.Json;
import dev.finetune.workspace.Workspace;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code finetune base-models list|build|pull|rm}: the built-in base models, and models from the
 * HuggingFace Hub in the cache huggingface_hub shares ({@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub},
 * else {@code ~/.cache/huggingface/hub}).
 */
@Command(name = "base-models", mixinStandardHelpOptions = true,
        description = "List, build, download (pull) or remove base models: the built-in ones and ORG/NAME[@REVISION] "
                + "models from the HuggingFace Hub, cached where huggingface_hub caches them.",
        subcommands = {BaseModelsCommand.ListCmd.class, BaseModelsCommand.Build.class, BaseModelsCommand.Pull.class,
                BaseModelsCommand.Remove.class})
public final class BaseModelsCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The workspace folder: {@code given}, else {@code $FINETUNE_HOME}, else {@code ~/.finetune} (see {@link WorkspaceOption}). */
    static Path workspaceRoot(Path given) {
        WorkspaceOption w = new WorkspaceOption();
        w.workspace = given;
        return w.root();
    }

    static HubConfig hubConfig(Path cache) {
        HubConfig c = HubConfig.fromEnvironment();
        return cache != null ? c.withCacheDir(cache) : c;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the built-in base models and every model cached from the hub, with size and revision.")
    static final class ListCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        WorkspaceOption workspace;

        @Option(names = "--cache", paramLabel = "DIR",
                description = "hub cache (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)")
        Path cache;

        @Option(names = "--json", description = "print a JSON array instead of a table")
        boolean json;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            HubCache hub = new HubCache(hubConfig(cache).cacheDir());
            List<HubCache.CachedModel> cached = hub.list();
            if (json) {
                ArrayNode arr = Json.array();
                for (BaseModels.Spec s : BaseModels.BUILT_IN) {
                    Path dir = Workspace.baseModelsDir(workspace.root()).resolve(s.name());
                    ObjectNode o = arr.addObject();
                    o.put("name", s.name());
                    o.put("source", "built-in");
                    o.put("built", BaseModels.isBuilt(dir));
                    o.put("path", dir.toString());
                    o.put("description", s.description());
                }
                for (HubCache.CachedModel m : cached) {
                    for (HubCache.Revision r : m.revisions()) {
                        ObjectNode o = arr.addObject();
                        o.put("name", m.repoId());
                        o.put("source", "hub");
                        o.put("commit", r.commit());
                        ArrayNode refs = o.putArray("refs");
                        r.refs().forEach(refs::add);
                        o.put("size_bytes", r.bytes());
                        o.put("repo_size_on_disk_bytes", m.sizeOnDisk());
                        o.put("complete", r.complete());
                        ArrayNode missing = o.putArray("missing");
                        r.missing().forEach(missing::add);
                        o.put("path", r.snapshot().toString());
                    }
                }
                out.println(Json.prettyWriter().writeValueAsString(arr));
                out.flush();
                return 0;
            }
            out.printf("%-44s %-24s %10s  %s%n", "NAME", "REVISION", "SIZE", "STATE");
            for (BaseModels.Spec s : BaseModels.BUILT_IN) {
                boolean built = BaseModels.isBuilt(Workspace.baseModelsDir(workspace.root()).resolve(s.name()));
                out.printf("%-44s %-24s %10s  %s%n", s.name(), "built-in", "-", (built ? "built: " : "not built: ")
                        + s.description());
            }
            for (HubCache.CachedModel m : cached) {
                for (HubCache.Revision r : m.revisions()) {
                    String rev = (r.refs().isEmpty() ? "" : String.join(",", r.refs()) + " ") + r.commit().substring(0, Math.min(12, r.commit().length()));
                    out.printf("%-44s %-24s %10s  %s%n", m.repoId(), rev, HubClient.bytes(r.bytes()),
                            r.complete() ? "cached" : "incomplete (lacks " + String.join(", ", r.missing()) + ")");
                }
            }
            out.println("hub cache: " + hub.root());
            out.flush();
            return 0;
        }
    }

    @Command(name = "build", mixinStandardHelpOptions = true, description = "Build a built-in base model (once; cached).")
    static final class Build implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "base model name, e.g. base-light")
        String name;

        @Mixin
        WorkspaceOption workspace;

        @Option(names = "--out", paramLabel = "DIR", description = "build into this folder instead of the workspace")
        Path out;

        @Override
        public Integer call() throws Exception {
            BaseModels.Spec s = BaseModels.builtIn(name).orElseThrow(() -> new ParameterException(spec.commandLine(),
                    "no built-in base model " + name + " (built in: "
                            + BaseModels.BUILT_IN.stream().map(BaseModels.Spec::name).collect(Collectors.joining(", ")) + ")"));
            Path dir = out != null ? out : Workspace.baseModelsDir(workspace.root()).resolve(s.name());
            PrintWriter w = spec.commandLine().getOut();
            Progress progress = new Progress(w, "pretraining " + s.name());
            BaseModels.ensure(s, dir, (step, steps, loss, tps) -> progress.update(step, steps,
                    String.format("loss %.3f, %.0f tok/s", loss, tps)), () -> false);
            progress.done();
            w.println(s.name() + " is ready in " + dir);
            w.flush();
            return 0;
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Download a model from the HuggingFace Hub ahead of time (only the files a model needs: config, "
                    + "safetensors weights, tokenizer, chat template), into the cache huggingface_hub shares. Resumes an "
                    + "interrupted download; asks the hub which commit a branch means now.")
    static final class Pull implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME[@REVISION]",
                description = "hub model, e.g. HuggingFaceTB/SmolLM2-135M-Instruct or ORG/NAME@v1.0 (a branch, tag or commit; default main)")
        String name;

        @Option(names = "--cache", paramLabel = "DIR",
                description = "hub cache (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)")
        Path cache;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            HubModelRef.parse(name);
            DownloadProgress progress = new DownloadProgress(out);
            Path dir = HubModels.pull(name, hubConfig(cache), progress);
            progress.done();
            out.println(name + " is ready in " + dir);
            out.flush();
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Remove a hub model from the cache (every revision), freeing its space.")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "hub model, ORG/NAME")
        String name;

        @Option(names = "--cache", paramLabel = "DIR",
                description = "hub cache (default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)")
        Path cache;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            HubModelRef ref = HubModelRef.parse(name);
            if (!ref.revision().equals(HubModelRef.DEFAULT_REVISION) || name.contains("@")) {
                throw new IllegalArgumentException("base-models rm removes every revision of a model: give ORG/NAME without @REVISION");
            }
            HubCache hub = new HubCache(hubConfig(cache).cacheDir());
            if (hub.find(ref.repoId()).isEmpty()) {
                out.println(ref.repoId() + " is not in the hub cache " + hub.root());
                out.flush();
                return 1;
            }
            long freed = hub.delete(ref.repoId());
            out.println("removed " + ref.repoId() + " from " + hub.root() + ", freeing " + HubClient.bytes(freed));
            out.flush();
            return 0;
        }
    }
}
