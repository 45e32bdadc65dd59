package dev.finetune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.finetuning.BaseModel;
import dev.finetune.finetuning.BaseType;
import dev.finetune.finetuning.FinetunedModel;
import dev.finetune.finetuning.Hyperparameters;
import dev.finetune.finetuning.Settings;
import dev.finetune.finetuning.TrainingStepMetrics;
import dev.finetune.jobs.LocalTrainingTest;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of a real (tiny) fine-tune, rendered by headless Chromium with the network off: the
 * page loads from a file, its DOM has one point per recorded metric value in each curve, and the
 * before/after table has a row per metric pair. Skipped, saying so, where Chromium is not installed.
 */
public class ReportPageTest {

    static Optional<String> chromium() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
                File f = new File(dir, name);
                if (f.canExecute()) {
                    return Optional.of(f.getPath());
                }
            }
        }
        return Optional.empty();
    }

    static String dumpDom(String browser, Path page, Path profile) throws Exception {
        Process p = new ProcessBuilder(browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--user-data-dir=" + profile,
                "--dump-dom", page.toUri().toString()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished");
        assertEquals(0, p.exitValue(), "chromium's exit status");
        return new String(out, StandardCharsets.UTF_8);
    }

    static int count(String dom, String regex) {
        Matcher m = Pattern.compile(regex).matcher(dom);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void theReportRendersInChromiumWithAPointPerStepMetricAndARowPerMetricPair(@TempDir Path dir) throws Exception {
        Path base = LocalTrainingTest.baseFolder(dir);
        try (ClientV2 co = ClientV2.builder().workspace(dir.resolve("ws")).build()) {
            Dataset d = co.wait(co.datasets().create(LocalTrainingTest.chatFile(dir), Optional.empty(), DatasetsCreateRequest.builder()
                    .name("qa").type(DatasetType.CHAT_FINETUNE_INPUT).build()), WaitOptions.timeout(Duration.ofSeconds(60))
                    .interval(Duration.ofMillis(20)));
            FinetunedModel req = FinetunedModel.builder().name("qa <&> report").settings(Settings.builder()
                    .baseModel(BaseModel.of(BaseType.BASE_TYPE_CHAT, base.toString())).datasetId(d.id())
                    .hyperparameters(Hyperparameters.builder().trainEpochs(3).trainBatchSize(4).earlyStoppingPatience(0).build())
                    .build()).build();
            FinetunedModel done = co.wait(co.finetuning().createFinetunedModel(req), WaitOptions.timeout(Duration.ofSeconds(120))
                    .interval(Duration.ofMillis(50)));
            String id = done.id().orElseThrow();
            String html = ReportPage.of(co, id);
            assertFalse(Pattern.compile("(src|href)\\s*=\\s*\"(https?:)?//").matcher(html).find(), "nothing fetched from the network");
            assertFalse(html.contains("<script"), "no scripts");
            assertTrue(html.contains("qa &lt;&amp;&gt; report"), "the name is escaped");

            TreeMap<Integer, Map<String, Double>> steps = new TreeMap<>();
            for (TrainingStepMetrics t : co.finetuning().listTrainingStepMetrics(id).stepMetrics()) {
                steps.put(t.stepNumber(), t.metrics());
            }
            Map<String, Double> m = done.metrics().orElseThrow();
            long pairs = m.keySet().stream().filter(k -> k.startsWith("baseline_") && m.containsKey(k.substring(9))).count();
            assertEquals(2, pairs, m.toString()); // cross_entropy and accuracy

            Optional<String> browser = chromium();
            if (browser.isEmpty()) {
                System.err.println("NOTICE: chromium is not installed; the report's browser check is skipped "
                        + "(apt-get install chromium)");
                Assumptions.abort("chromium is not installed: the report's browser check is skipped");
            }
            Path page = dir.resolve("report.html");
            Files.writeString(page, html);
            String dom = dumpDom(browser.get(), page, Files.createDirectories(dir.resolve("profile")));
            assertTrue(dom.contains("<svg") && dom.contains("id=\"chart-loss\"") && dom.contains("id=\"chart-accuracy\""), dom);
            for (String series : List.of("train_loss", "eval_cross_entropy", "eval_accuracy")) {
                long expected = steps.values().stream().filter(s -> s.containsKey(series)).count();
                assertTrue(expected > 0, series);
                assertEquals(expected, count(dom, "<circle class=\"pt\" data-series=\"" + series + "\""), series + " points");
            }
            // the first train-loss point is step 1's value, exactly
            Matcher first = Pattern.compile("data-series=\"train_loss\" data-step=\"(\\d+)\" data-value=\"([^\"]+)\"").matcher(dom);
            assertTrue(first.find());
            assertEquals(steps.ceilingKey(1), Integer.parseInt(first.group(1)));
            assertEquals(steps.get(steps.ceilingKey(1)).get("train_loss"), Double.parseDouble(first.group(2)));
            assertEquals(pairs, count(dom, "<tr class=\"pill\">"));
            assertEquals(co.finetuning().listEvents(id).events().size(), count(dom, "<tr class=\"event\">"));
            assertTrue(dom.contains("improved") || dom.contains("no clear change") || dom.contains("worse"));
        }
    }
}
