package dev.finetune.pii;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import dev.finetune.ClientV2;
import dev.finetune.WaitOptions;
import dev.finetune.datasets.Dataset;
import dev.finetune.datasets.DatasetType;
import dev.finetune.datasets.DatasetsCreateRequest;
import dev.finetune.datasets.ValidationStatus;
import dev.finetune.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * For any sentences built from templates with everyday context words (account, order, invoice, ticket,
 * card, number, phone, ID; English, French, German, Spanish) and any valid value of each type planted
 * in them, an upload with the default policy (REDACT) through {@code ClientV2} leaves no byte of any
 * value anywhere in the workspace, and the decoys next to them are stored unchanged.
 */
class RedactUploadProperties {
    private static final PhoneNumberUtil PHONES = PhoneNumberUtil.getInstance();
    private static Path root;
    private static ClientV2 client;

    @BeforeContainer
    static void open() throws IOException {
        root = Files.createTempDirectory("redact-upload");
        client = ClientV2.builder().workspace(root.resolve("ws")).build();
    }

    @AfterContainer
    static void close() throws IOException {
        client.close();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** One planted value and the sentence it sits in. */
    record Planted(String value, String sentence) {
    }

    @Property(tries = 20)
    void redactLeavesNoTraceOfAnyValueAndKeepsTheDecoys(@ForAll("planted") List<Planted> planted,
            @ForAll("decoys") List<String> decoys) throws IOException {
        Path file = Files.createTempFile(root, "upload", ".jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < planted.size(); i++) {
            ObjectNode o = Json.object();
            ArrayNode m = o.putArray("messages");
            m.addObject().put("role", "User").put("content", planted.get(i).sentence() + " " + decoys.get(i % decoys.size()));
            m.addObject().put("role", "Chatbot").put("content", "Noted (" + i + "). " + decoys.get((i + 1) % decoys.size()));
            lines.add(o.toString());
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
        Dataset d = client.wait(client.datasets().create(file, Optional.empty(), DatasetsCreateRequest.builder()
                .name("redact").type(DatasetType.CHAT_FINETUNE_INPUT).build()),
                WaitOptions.timeout(Duration.ofSeconds(60)).interval(Duration.ofMillis(20)));
        Files.delete(file);
        assertEquals(ValidationStatus.VALIDATED, d.validationStatus());

        List<byte[]> files = workspaceFiles();
        for (Planted p : planted) {
            for (String trace : traces(p.value())) {
                byte[] needle = trace.getBytes(StandardCharsets.UTF_8);
                for (byte[] f : files) {
                    assertTrue(indexOf(f, needle) < 0, () -> "a planted value survived in the workspace: " + p.sentence());
                }
            }
        }
        Path dir = root.resolve("ws").resolve("datasets").resolve(d.id());
        String stored = Files.readString(dir.resolve("train.jsonl")) + Files.readString(dir.resolve("eval.jsonl"));
        for (String decoy : decoys) {
            assertTrue(stored.contains(decoy), () -> "decoy redacted: " + decoy + " in " + stored);
        }
    }

    /** The value as written and, for values holding digits, its digits alone (a normalized copy is a trace too). */
    private static List<String> traces(String value) {
        String digits = value.replaceAll("[^0-9]", "");
        return digits.length() >= 7 && !digits.equals(value) ? List.of(value, digits) : List.of(value);
    }

    private List<byte[]> workspaceFiles() throws IOException {
        List<byte[]> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root.resolve("ws"))) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.add(Files.readAllBytes(p));
            }
        }
        return out;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    // ---------------------------------------------------------------- generators

    @Provide
    Arbitrary<List<Planted>> planted() {
        Arbitrary<String> template = Arbitraries.of(PiiCorpus.CONTEXT_TEMPLATES);
        Arbitrary<String> value = Arbitraries.oneOf(cards(), ibans(), ssns(), phones(), emails());
        Arbitrary<Planted> one = Combinators.combine(template, value).as((t, v) -> new Planted(v, t.replace("%s", v)));
        // one of each type, then any mix
        return Combinators.combine(Combinators.combine(template, cards()).as((t, v) -> new Planted(v, t.replace("%s", v))),
                Combinators.combine(template, ibans()).as((t, v) -> new Planted(v, t.replace("%s", v))),
                Combinators.combine(template, ssns()).as((t, v) -> new Planted(v, t.replace("%s", v))),
                Combinators.combine(template, phones()).as((t, v) -> new Planted(v, t.replace("%s", v))),
                Combinators.combine(template, emails()).as((t, v) -> new Planted(v, t.replace("%s", v))),
                one.list().ofMaxSize(4)).as((a, b, c, e, f, more) -> {
                    List<Planted> all = new ArrayList<>(List.of(a, b, c, e, f));
                    all.addAll(more);
                    return all;
                });
    }

    /** A brand's IIN and length, random digits, the Luhn check digit; compact, spaced or dashed. */
    Arbitrary<String> cards() {
        String[][] brands = {{"4", "16"}, {"4", "13"}, {"51", "16"}, {"55", "16"}, {"2221", "16"}, {"34", "15"}, {"37", "15"},
            {"6011", "16"}, {"65", "16"}, {"3528", "16"}, {"36", "14"}, {"62", "16"}, {"4", "19"}};
        return Combinators.combine(Arbitraries.of(brands), Arbitraries.strings().numeric().ofLength(18), Arbitraries.of("", " ", "-"))
                .as((b, digits, sep) -> {
                    int len = Integer.parseInt(b[1]);
                    StringBuilder pan = new StringBuilder(b[0]).append(digits, 0, len - 1 - b[0].length());
                    pan.append((char) ('0' + Checksums.luhnCheckDigit(pan)));
                    return PiiCorpus.groupCard(pan.toString(), sep);
                })
                .filter(c -> !c.replaceAll("[^0-9]", "").chars().allMatch(ch -> ch == c.charAt(0)));
    }

    Arbitrary<String> ibans() {
        return Combinators.combine(Arbitraries.of(new ArrayList<>(IbanDetector.LENGTHS.keySet())),
                Arbitraries.strings().numeric().ofLength(30), Arbitraries.of(true, false))
                .as((cc, digits, spaced) -> PiiCorpus.formatIban(
                        PiiCorpus.withCheckDigits(cc, digits.substring(0, IbanDetector.LENGTHS.get(cc) - 4)), spaced));
    }

    /** Area 001-899 but 666, group 01-99, serial 0001-9999; dashed or spaced. */
    Arbitrary<String> ssns() {
        return Combinators.combine(Arbitraries.integers().between(1, 899).filter(a -> a != 666), Arbitraries.integers().between(1, 99),
                Arbitraries.integers().between(1, 9999), Arbitraries.of("-", "-", " "))
                .as((a, g, s, sep) -> String.format("%03d%s%02d%s%04d", a, sep, g, sep, s));
    }

    /** Valid numbers of the default regions in libphonenumber's formats, and phone formats of ranges that may be unassigned. */
    Arbitrary<String> phones() {
        Arbitrary<String> valid = Combinators.combine(Arbitraries.of(PiiScanner.DEFAULT_PHONE_REGIONS),
                Arbitraries.strings().numeric().ofLength(4), Arbitraries.of(PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.NATIONAL,
                        PhoneNumberFormat.E164), Arbitraries.of(true, false))
                .as((region, last, format, mobile) -> {
                    PhoneNumber ex = PHONES.getExampleNumberForType(region,
                            mobile ? PhoneNumberUtil.PhoneNumberType.MOBILE : PhoneNumberUtil.PhoneNumberType.FIXED_LINE);
                    String nsn = PHONES.getNationalSignificantNumber(ex);
                    PhoneNumber p = new PhoneNumber().setCountryCode(ex.getCountryCode())
                            .setNationalNumber(Long.parseLong(nsn.substring(0, nsn.length() - 4) + last));
                    p.setItalianLeadingZero(ex.hasItalianLeadingZero());
                    return PHONES.isValidNumber(p) ? PHONES.format(p, format) : PHONES.format(ex, format);
                });
        Arbitrary<String> nxx = Arbitraries.integers().between(200, 999).map(String::valueOf);
        Arbitrary<String> line = Arbitraries.strings().numeric().ofLength(4);
        Arbitrary<String> nanp = Combinators.combine(nxx, nxx, line, Arbitraries.integers().between(0, 4)).as((a, e, l, style) -> switch (style) {
            case 0 -> "(" + a + ") " + e + "-" + l;
            case 1 -> a + "-" + e + "-" + l;
            case 2 -> "+1 " + a + "-" + e + "-" + l;
            case 3 -> "+1 (" + a + ") " + e + "-" + l;
            default -> a + "." + e + "." + l;
        });
        Arbitrary<String> pairs = Arbitraries.strings().numeric().ofLength(8)
                .map(d -> d.substring(0, 2) + " " + d.substring(2, 4) + " " + d.substring(4, 6) + " " + d.substring(6));
        Arbitrary<String> france = Combinators.combine(Arbitraries.integers().between(1, 9), pairs).as((f, p) -> "+33 " + f + " " + p);
        return Arbitraries.oneOf(valid, nanp, france);
    }

    Arbitrary<String> emails() {
        Arbitrary<String> word = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(2).ofMaxLength(10);
        return Combinators.combine(word, word, Arbitraries.of("example.com", "mail.fr", "firma.de", "correo.es", "corp.co.uk"))
                .as((a, b, dom) -> a + "." + b + "@" + dom);
    }

    /** Identifiers, amounts, dates, versions and near-misses that are no one's personal data. */
    @Provide
    Arbitrary<List<String>> decoys() {
        Arbitrary<String> orderNo = Arbitraries.strings().numeric().ofMinLength(6).ofMaxLength(12)
                .map(d -> "Order #" + d + " has shipped.");
        Arbitrary<String> fixed = Arbitraries.of("Commande n° CMD-2024-5531 expédiée.", "Bestellung BST-2023-118204 versandt.",
                "ISBN 978-3-16-148410-0 ships today.", "Meeting on 2024-03-15 at 10am.", "Termin am 15.03.2024.",
                "Upgrade to version 10.0.19045.2965 now.", "Card 4111 1111 1111 1112 was rejected.",
                "UPS tracking 1Z999AA10123456784.", "USPS 9400 1000 0000 0000 0000 00.", "Total $1,234.56 incl. tax.",
                "Montant : 1.234,56 €.", "Factura FAC-2024-00042 pagada.", "Ticket TCK-99812 closed.",
                "Referenz REF/2024/55123.", "SSN 666-12-3456 is not valid.", "IBAN DE00 3704 0044 0532 0130 00 bounced.");
        return Arbitraries.oneOf(orderNo, fixed).list().ofMinSize(1).ofMaxSize(4).uniqueElements();
    }
}
