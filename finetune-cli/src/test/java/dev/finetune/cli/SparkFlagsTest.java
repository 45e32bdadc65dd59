package dev.finetune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code finetune create/wait --spark-master}: the CLI carries finetune-spark but not Spark itself
 * (provided), so without Spark's jars the flag fails at once, naming what is missing and how to add it.
 */
class SparkFlagsTest {
    private final Cli cli = new Cli();

    @Test
    void sparkMasterWithoutSparkOnTheClassPathFailsNamingWhatIsMissing(@TempDir Path dir) {
        String ws = dir.resolve("ws").toString();
        int code = cli.run("finetune", "create", "--workspace", ws, "--name", "qa", "--base-model", "chat", "--dataset-id", "x",
                "--spark-master", "local[2]");
        assertEquals(1, code, cli.both());
        assertTrue(cli.err().contains("Apache Spark is not on the class path (org.apache.spark.SparkContext is missing)"), cli.both());
        assertTrue(cli.err().contains("SPARK_HOME"), cli.both());
        assertEquals(1, cli.run("finetune", "wait", "--workspace", ws, "abc", "--spark-master", "local[2]"), cli.both());
        assertTrue(cli.err().contains("Apache Spark is not on the class path"), cli.both());
    }

    @Test
    void gradientShardsWithoutSparkMasterIsAUsageError(@TempDir Path dir) {
        int code = cli.run("finetune", "create", "--workspace", dir.resolve("ws").toString(), "--name", "qa", "--base-model", "chat",
                "--dataset-id", "x", "--gradient-shards", "4");
        assertEquals(2, code, cli.both());
        assertTrue(cli.err().contains("--gradient-shards needs --spark-master"), cli.both());
    }
}
