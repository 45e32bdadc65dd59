package dev.finetune.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    static final String CORPUS = String.join("\n",
            "To be, or not to be: that is the question:",
            "Whether 'tis nobler in the mind to suffer",
            "The slings and arrows of outrageous fortune,",
            "Or to take arms against a sea of troubles,",
            "And by opposing end them. To die: to sleep;",
            "No more; and by a sleep to say we end",
            "The heart-ache and the thousand natural shocks") .repeat(3);

    @Test
    void learnsMergesUpToTheTargetSizeAndEncodesTheCorpusShorter() {
        ByteLevelBpe bpe = BpeTrainer.train(CORPUS, 330, List.of("<|endoftext|>"));
        assertEquals(330, bpe.vocabSize());
        assertEquals(330 - 256 - 1, bpe.mergeCount());
        assertEquals(329, bpe.specialTokenId("<|endoftext|>"));
        // a target the corpus cannot reach stops when no pair occurs twice
        ByteLevelBpe all = BpeTrainer.train(CORPUS, 5000, List.of("<|endoftext|>"));
        assertTrue(all.vocabSize() < 5000);
        assertEquals(all.vocabSize() - 257, all.mergeCount());
        int[] ids = bpe.encode(CORPUS);
        assertTrue(ids.length < CORPUS.length() / 2, ids.length + " tokens for " + CORPUS.length() + " characters");
        assertEquals(CORPUS, bpe.decode(ids));
    }

    @Test
    void savesBothFormsThatLoadBackToTheSameIds(@TempDir Path dir) throws Exception {
        ByteLevelBpe bpe = BpeTrainer.train(CORPUS, 350, List.of("<|endoftext|>", "<|USER_TOKEN|>"));
        BpeFiles.save(bpe, dir);
        ByteLevelBpe a = BpeFiles.loadGpt2(dir.resolve("encoder.json"), dir.resolve("vocab.bpe"));
        ByteLevelBpe b = BpeFiles.loadTokenizerJson(dir.resolve("tokenizer.json"));
        String text = "Whether 'tis nobler, to be or not — to sleep.";
        assertArrayEquals(bpe.encode(text), a.encode(text));
        assertArrayEquals(bpe.encode(text), b.encode(text));
        assertEquals(bpe.specialTokenId("<|USER_TOKEN|>"), b.specialTokenId("<|USER_TOKEN|>"));
        Path corpus = dir.resolve("corpus.txt");
        Files.writeString(corpus, CORPUS);
        ByteLevelBpe fromFile = BpeTrainer.train(corpus, 350, List.of("<|endoftext|>", "<|USER_TOKEN|>"));
        assertArrayEquals(bpe.encode(text), fromFile.encode(text));
    }

    @Property(tries = 15)
    void trainingIsDeterministic(@ForAll @StringLength(min = 1, max = 300) String text,
                                 @ForAll @IntRange(min = 258, max = 320) int size) {
        ByteLevelBpe x = BpeTrainer.train(text, size, List.of("<|endoftext|>"));
        ByteLevelBpe y = BpeTrainer.train(text, size, List.of("<|endoftext|>"));
        assertArrayEquals(x.encode(text), y.encode(text));
        assertEquals(x.mergeCount(), y.mergeCount());
        assertEquals(text.replace("\r\n", "\n"), x.decode(x.encode(text)).replace("\r\n", "\n"));
    }
}
