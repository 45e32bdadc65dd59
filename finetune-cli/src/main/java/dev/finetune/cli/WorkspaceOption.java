package dev.finetune.cli;

import dev.finetune.ClientV2;
import dev.finetune.workspace.Workspace;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code --workspace DIR}, the one declaration of it: mixed into every command that reads or writes a
 * workspace ({@code @Mixin WorkspaceOption workspace}). Inherited: on a command with subcommands
 * ({@code datasets}, {@code finetune}) it may be given before or after the subcommand's name.
 */
public final class WorkspaceOption {
    static final String DESCRIPTION = "the workspace folder; default $FINETUNE_HOME or ~/.finetune";

    @Option(names = "--workspace", paramLabel = "DIR", scope = ScopeType.INHERIT, description = DESCRIPTION)
    Path workspace;

    /** Whether {@code --workspace} was given. */
    boolean given() {
        return workspace != null;
    }

    /** The workspace folder: {@code --workspace}, else {@code $FINETUNE_HOME}, else {@code ~/.finetune}. */
    Path root() {
        return workspace != null ? workspace : Workspace.defaultRoot();
    }

    /** A client builder on this workspace; {@code runJobs} false for every command that does not train. */
    ClientV2.Builder builder(boolean runJobs) {
        return ClientV2.builder().workspace(root()).runJobs(runJobs);
    }

    /**
     * Opens the workspace. {@code runJobs} true only for the commands that train (and say so in their
     * help): such a client resumes every queued or interrupted fine-tune of the workspace in this process.
     */
    ClientV2 open(boolean runJobs) {
        return builder(runJobs).build();
    }
}
