package dev.finetune.pii;

import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberType;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * A deterministic labelled corpus: short messages with planted valid values of every type among decoys
 * that look like PII and are not (order numbers, ISBNs, dates, Luhn-invalid card-like numbers, versions,
 * times, prices, zip codes, tracking numbers, invalid SSNs and IBANs, MAC addresses, hashes).
 *
 * <p>Also the generators of valid values the properties use. Everything is a function of the seed.
 */
final class PiiCorpus {
    private static final PhoneNumberUtil PHONES = PhoneNumberUtil.getInstance();
    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final String UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private static final String HEX = "0123456789abcdef";

    private final Random rnd;

    PiiCorpus(long seed) {
        this.rnd = new Random(seed);
    }

    /** {@code n} samples: about 60% carry one or two planted values, every sample carries decoys. */
    static List<PiiQuality.Sample> generate(long seed, int n) {
        PiiCorpus c = new PiiCorpus(seed);
        List<PiiQuality.Sample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(c.sample());
        }
        return out;
    }

    /** Builds one text while recording where the planted values go. */
    static final class Text {
        private final StringBuilder sb = new StringBuilder();
        private final List<PiiQuality.Span> spans = new ArrayList<>();

        Text add(String s) {
            sb.append(s);
            return this;
        }

        Text pii(String label, String value) {
            spans.add(new PiiQuality.Span(label, sb.length(), sb.length() + value.length()));
            sb.append(value);
            return this;
        }

        PiiQuality.Sample build() {
            return new PiiQuality.Sample(sb.toString(), spans);
        }
    }

    PiiQuality.Sample sample() {
        Text t = new Text();
        int sentences = 1 + rnd.nextInt(3);
        for (int s = 0; s < sentences; s++) {
            if (s > 0) {
                t.add(pick(" ", " ", "\n", " - "));
            }
            double r = rnd.nextDouble();
            if (r < 0.3) {
                plant(t);
            } else if (r < 0.55) {
                plantInContext(t);
            } else if (r < 0.8) {
                decoy(t);
            } else {
                decoyInContext(t);
            }
        }
        return t.build();
    }

    // ---------------------------------------------------------------- values among everyday words

    /**
     * Sentences a customer writes, in English, French, German and Spanish, around the words that also
     * introduce identifiers (account, reference, order, invoice, ticket, card, number, phone, ID). A value
     * whose shape is sure (a card passing Luhn, an IBAN, an SSN written AAA-GG-SSSS, a phone number in a
     * phone format, an e-mail address, a vendor key) is personal data whatever the words say.
     */
    static final String[] CONTEXT_TEMPLATES = {
        "Please update my account: %s.", "account %s", "My account is %s, please check.", "Reference: %s",
        "ref %s", "Re your order, my details: %s", "Order 88123: please use %s", "Invoice INV-2291, details %s",
        "ticket #4471: customer gave %s", "Ticket 9921 - %s", "card on file %s", "number %s", "Number: %s",
        "phone %s", "ID: %s", "my ID is %s", "Account number %s", "Customer ID %s", "order number %s, thanks",
        "Hi, for invoice 2024-118 use %s.", "See ticket: %s",
        "Veuillez mettre à jour mon compte : %s.", "compte %s", "référence %s", "Commande n° 4512 : %s",
        "facture : %s", "numéro de carte %s", "mon numéro : %s", "téléphone : %s", "identifiant %s",
        "Ticket %s merci", "Numéro de compte %s",
        "Bitte aktualisieren Sie mein Konto: %s.", "Konto %s", "Referenz %s", "Bestellung 7781: %s",
        "Rechnung: %s", "Kartennummer %s", "Nummer %s", "Telefon: %s", "Ausweis-ID %s", "Kundennummer %s",
        "Bestellnummer %s bitte prüfen",
        "Por favor actualice mi cuenta: %s.", "cuenta %s", "referencia %s", "Pedido 5531: %s",
        "factura: %s", "número de tarjeta %s", "mi número es %s", "teléfono %s", "identificación %s",
        "Número de cuenta %s", "ticket de soporte %s"};

    /**
     * The templates whose words announce an identifier rather than a phone number: after "phone" or a bare
     * "number", a run of digits is a phone number as far as a reader can tell, so no decoy goes there.
     */
    static final String[] DECOY_TEMPLATES = java.util.Arrays.stream(CONTEXT_TEMPLATES)
            .filter(x -> !java.util.regex.Pattern.compile("(?iu)phone|telefon|teléfono|^number|^nummer|mon numéro|mi número")
                    .matcher(x).find())
            .toArray(String[]::new);

    private void plantInContext(Text t) {
        String label;
        String value;
        switch (rnd.nextInt(8)) {
            case 7:
                label = "IP_ADDRESS";
                value = ip();
                break;
            case 0:
                label = "CREDIT_CARD";
                value = card(rnd);
                break;
            case 1:
                label = "IBAN";
                value = iban(rnd, rnd.nextBoolean());
                break;
            case 2:
                label = "US_SSN";
                value = ssn(rnd.nextInt(4) == 0 ? " " : "-");
                break;
            case 3:
            case 4:
                label = "PHONE_NUMBER";
                value = rnd.nextInt(3) == 0 ? unlistedPhone() : formattedPhone();
                break;
            case 5:
                label = "EMAIL_ADDRESS";
                value = email();
                break;
            default:
                label = "SECRET";
                value = pick("AKIA" + chars(UPPER_ALNUM, 16), "ghp_" + chars(ALNUM, 36), "sk_live_" + chars(ALNUM, 24),
                        "xoxb-" + digits(11) + "-" + digits(12) + "-" + chars(ALNUM, 24));
        }
        sentence(t, label, value, CONTEXT_TEMPLATES);
    }

    /** An SSN that passes the SSA's rules: area 001-899 but 666, group 01-99, serial 0001-9999. */
    String ssn(String sep) {
        int area = 1 + rnd.nextInt(899);
        if (area == 666) {
            area = 665;
        }
        return String.format("%03d%s%02d%s%04d", area, sep, 1 + rnd.nextInt(99), sep, 1 + rnd.nextInt(9999));
    }

    /** A valid number of a default region in one of the formats people type. */
    private String formattedPhone() {
        String region = pick("US", "GB", "DE", "FR", "IN", "ES", "IT", "AU");
        PhoneNumber p = validPhone(region);
        switch (rnd.nextInt(4)) {
            case 0:
                return PHONES.format(p, PhoneNumberFormat.INTERNATIONAL);
            case 1:
                return PHONES.format(p, PhoneNumberFormat.NATIONAL);
            case 2:
                return PHONES.format(p, PhoneNumberFormat.E164);
            default:
                return humanVariant(p, region);
        }
    }

    /**
     * A number in an unmistakable phone format whose range may not be assigned: North American
     * {@code (NXX) NXX-XXXX} and its variants, or {@code +CC} with a national number of that country's
     * length grouped as people write it.
     */
    String unlistedPhone() {
        String a = (2 + rnd.nextInt(8)) + digits(2);
        String e = (2 + rnd.nextInt(8)) + digits(2);
        String l = digits(4);
        switch (rnd.nextInt(9)) {
            case 0:
                return "(" + a + ") " + e + "-" + l;
            case 1:
                return a + "-" + e + "-" + l;
            case 2:
                return "+1 " + a + "-" + e + "-" + l;
            case 3:
                return "+1 (" + a + ") " + e + "-" + l;
            case 4:
                return a + "." + e + "." + l;
            case 5:
                return "+33 " + (1 + rnd.nextInt(9)) + " " + digits(2) + " " + digits(2) + " " + digits(2) + " " + digits(2);
            case 6:
                return "+44 " + (1 + rnd.nextInt(9)) + digits(1) + " " + digits(4) + " " + digits(4);
            case 7:
                return "+49 " + (2 + rnd.nextInt(8)) + digits(1) + " " + digits(7);
            default:
                return "+34 " + (6 + rnd.nextInt(4)) + digits(2) + " " + digits(3) + " " + digits(3);
        }
    }

    /** Identifiers, amounts and dates after the same everyday words; none of them is personal data. */
    private void decoyInContext(Text t) {
        String value;
        switch (rnd.nextInt(12)) {
            case 0:
                value = nonCardDigits(6 + rnd.nextInt(11));
                break;
            case 1:
                value = pick("ORD-", "INV-", "TCK-", "REF-", "CMD-", "BST-", "PED-") + (2019 + rnd.nextInt(7)) + "-" + digits(4 + rnd.nextInt(3));
                break;
            case 2:
                value = pick("#", "n° ", "Nr. ", "nº ") + digits(4 + rnd.nextInt(5));
                break;
            case 3:
                value = luhnInvalidCard();
                break;
            case 4:
                value = pick("1Z" + chars(UPPER_ALNUM, 16), "9400 1000 0000 " + digits(4) + " " + digits(4) + " " + digits(2),
                        digits(4) + " " + digits(4) + " " + digits(4), "JJD" + digits(18), "LX" + digits(9) + "DE");
                break;
            case 5:
                value = pick("$1,234.56", "1.234,56 €", "12 345,00 EUR", "€ 99,90", "CHF 1'250.00", "£12.00", "USD 3,450,000");
                break;
            case 6:
                value = date();
                break;
            case 7:
                value = pick("v", "version ", "Version ", "") + version();
                break;
            case 8:
                value = "ISBN " + isbn13(rnd.nextBoolean());
                break;
            case 9:
                value = chars(UPPER_ALNUM, 8) + "-" + digits(2);
                break;
            case 10:
                value = pick("SSN ", "") + pick("000", "666", "9" + digits(2)) + "-" + digits(2) + "-" + digits(4);
                break;
            default:
                value = "IBAN " + invalidIban();
        }
        String tpl = pick(DECOY_TEMPLATES);
        int at = tpl.indexOf("%s");
        t.add(tpl.substring(0, at)).add(value).add(tpl.substring(at + 2));
    }

    /**
     * {@code n} random digits that are not a card number: a 13-19 digit run that passes Luhn is a card by
     * the README's definition whatever the words around it, so it is never used as a decoy.
     */
    private String nonCardDigits(int n) {
        String d = digits(n);
        while (n >= 13 && Checksums.luhn(d)) {
            d = digits(n);
        }
        return d;
    }

    // ---------------------------------------------------------------- planted values

    private void plant(Text t) {
        switch (rnd.nextInt(8)) {
            case 0:
                sentence(t, "EMAIL_ADDRESS", email(), "Contact %s for details.", "My email is %s.",
                        "send the report to %s, thanks", "Reply-To: <%s>", "(email: %s)", "cc %s; bcc nobody",
                        "write to %s or call the desk", "%s wrote: the invoice is late");
                break;
            case 1:
                plantPhone(t);
                break;
            case 2:
                sentence(t, "CREDIT_CARD", card(rnd), "Card number: %s", "paid with %s exp 12/27", "please charge %s today",
                        "my visa is %s.", "Use %s for the deposit", "cc %s cvv on file", "The card %s was declined.");
                break;
            case 3:
                sentence(t, "IBAN", iban(rnd, rnd.nextBoolean()), "IBAN: %s", "transfer to %s by Friday",
                        "Please wire the refund to %s.", "bank account %s (Sparkasse)", "pay into %s, ref: March rent");
                break;
            case 4:
                plantSsn(t);
                break;
            case 5:
                sentence(t, "IP_ADDRESS", ip(), "login from %s at 09:15", "server at %s is down", "IP %s blocked",
                        "client_ip=%s", "ping %s failed", "request from %s.");
                break;
            case 6:
                plantSecret(t);
                break;
            default:
                // Two values in one sentence.
                t.add("Name: Ana Ruiz, email ").pii("EMAIL_ADDRESS", email()).add(", phone ");
                PhoneNumber p = validPhone(pick("US", "GB", "FR", "DE"));
                t.pii("PHONE_NUMBER", PHONES.format(p, PhoneNumberFormat.INTERNATIONAL)).add(".");
        }
    }

    private void sentence(Text t, String label, String value, String... templates) {
        String tpl = templates[rnd.nextInt(templates.length)];
        int at = tpl.indexOf("%s");
        t.add(tpl.substring(0, at)).pii(label, value).add(tpl.substring(at + 2));
    }

    private void plantPhone(Text t) {
        String region = pick("US", "US", "GB", "DE", "FR", "IN", "ES", "IT", "AU");
        PhoneNumber p = validPhone(region);
        int style = rnd.nextInt(20);
        String value;
        String[] templates = {"Call me at %s.", "My number is %s", "phone: %s", "You can reach me on %s after 5pm.",
                "Tel %s (office)", "mobile %s", "ring %s if the door is locked", "I'm on %s all week.",
                "Kontakt: %s", "whatsapp %s", "%s is my cell"};
        if (style < 6) {
            value = PHONES.format(p, PhoneNumberFormat.INTERNATIONAL);
        } else if (style < 11) {
            value = PHONES.format(p, PhoneNumberFormat.NATIONAL);
        } else if (style < 13) {
            value = PHONES.format(p, PhoneNumberFormat.E164);
        } else if (style < 17) {
            value = humanVariant(p, region);
        } else {
            // A bare national digit run: only recognisable with a phone word before it.
            value = PHONES.format(p, PhoneNumberFormat.NATIONAL).replaceAll("[^0-9]", "");
            templates = new String[] {"Call me at %s.", "My number is %s", "phone: %s", "mobile %s", "Tel: %s"};
        }
        sentence(t, "PHONE_NUMBER", value, templates);
    }

    /** Ways people write numbers that are not libphonenumber's own formats. */
    private String humanVariant(PhoneNumber p, String region) {
        String nsn = PHONES.getNationalSignificantNumber(p);
        String national = PHONES.format(p, PhoneNumberFormat.NATIONAL);
        int cc = p.getCountryCode();
        switch (region) {
            case "US":
                String a = nsn.substring(0, 3);
                String b = nsn.substring(3, 6);
                String c = nsn.substring(6);
                return pick(a + "-" + b + "-" + c, a + "." + b + "." + c, "(" + a + ")" + b + "-" + c, "+1-" + a + "-" + b + "-" + c,
                        a + " " + b + " " + c, "1-" + a + "-" + b + "-" + c);
            case "GB":
                return pick("+44 (0)" + national.substring(1), "+44 " + national.substring(1), national.replace(' ', '-'));
            case "FR":
                return pick(national.replace(' ', '.'), national.replace(' ', '-'), "+33 (0)" + national.substring(1));
            case "DE":
                int sp = national.indexOf(' ');
                return pick(sp > 0 ? national.substring(0, sp) + "/" + national.substring(sp + 1) : national,
                        sp > 0 ? "(" + national.substring(0, sp) + ") " + national.substring(sp + 1) : national,
                        "+49 (0)" + national.substring(1));
            case "IN":
                return pick("+91-" + nsn.substring(0, 5) + "-" + nsn.substring(5), "+91 " + nsn, "0" + nsn.substring(0, 5) + " " + nsn.substring(5));
            default:
                return pick("+" + cc + " " + nsn, national.replace(' ', '-'), "+" + cc + "-" + nsn);
        }
    }

    private void plantSsn(Text t) {
        String area = String.format("%03d", 1 + rnd.nextInt(899));
        while (area.equals("666")) {
            area = String.format("%03d", 1 + rnd.nextInt(899));
        }
        String group = String.format("%02d", 1 + rnd.nextInt(99));
        String serial = String.format("%04d", 1 + rnd.nextInt(9999));
        if (!SsnDetector.plausible(area, group, serial)) {
            serial = "4321";
        }
        int style = rnd.nextInt(10);
        if (style < 7) {
            sentence(t, "US_SSN", area + "-" + group + "-" + serial, "SSN %s", "social security number %s on file",
                    "my SSN is %s.", "applicant %s approved", "SSN: %s, DOB 1980-04-02");
        } else if (style < 8) {
            sentence(t, "US_SSN", area + " " + group + " " + serial, "SSN %s", "Social Security No. %s");
        } else {
            sentence(t, "US_SSN", area + group + serial, "SSN %s", "ssn: %s", "Social security number %s.");
        }
    }

    private void plantSecret(Text t) {
        switch (rnd.nextInt(12)) {
            case 0:
                sentence(t, "SECRET", "AKIA" + chars(UPPER_ALNUM, 16), "export AWS_ACCESS_KEY_ID=%s", "aws key %s leaked");
                break;
            case 1:
                sentence(t, "SECRET", pick("ghp_", "gho_") + chars(ALNUM, 36), "git clone with token %s", "GH_TOKEN=%s");
                break;
            case 2:
                sentence(t, "SECRET", "github_pat_" + chars(ALNUM, 22) + "_" + chars(ALNUM, 59), "PAT: %s", "use %s for CI");
                break;
            case 3:
                sentence(t, "SECRET", pick("xoxb-", "xoxp-") + digits(11) + "-" + digits(12) + "-" + chars(ALNUM, 24),
                        "slack bot token %s", "SLACK_TOKEN=%s");
                break;
            case 4:
                sentence(t, "SECRET", pick("sk_live_", "rk_live_") + chars(ALNUM, 24), "stripe key %s", "STRIPE_SECRET=%s");
                break;
            case 5:
                sentence(t, "SECRET", "AIza" + chars(ALNUM + "-_", 35), "maps key=%s", "GOOGLE_API_KEY: %s");
                break;
            case 6:
                sentence(t, "SECRET", "sk-proj-" + chars(ALNUM, 40) + digits(4), "OPENAI_API_KEY=%s", "the key is %s, rotate it");
                break;
            case 7:
                sentence(t, "SECRET", jwt(), "Authorization: Bearer %s", "session %s expired");
                break;
            case 8:
                sentence(t, "SECRET", pem(), "key file:\n%s\nkeep it safe", "%s");
                break;
            case 9:
                sentence(t, "SECRET", chars(ALNUM, 32) + digits(2), "api_key=%s", "secret: %s", "my token is %s");
                break;
            case 10:
                sentence(t, "SECRET", chars(HEX, 40), "client_secret=%s", "auth token %s");
                break;
            default:
                sentence(t, "SECRET", chars(ALNUM, 6) + pick("!", "#", "%", "9") + chars(ALNUM, 4) + digits(1),
                        "password: %s", "pwd=%s", "my password is %s");
        }
    }

    // ---------------------------------------------------------------- decoys

    private void decoy(Text t) {
        switch (rnd.nextInt(24)) {
            case 0:
                t.add("Order ORD-" + (2019 + rnd.nextInt(7)) + "-" + digits(6) + " has shipped.");
                break;
            case 1:
                t.add(pick("order #", "Order number ", "order id ", "Ref: ", "invoice ") + nonCardDigits(10 + rnd.nextInt(7))
                        + pick(" is on its way.", " was refunded", ".", " (paid)"));
                break;
            case 2:
                t.add(pick("ISBN ", "ISBN-13: ", "the book ") + isbn13(rnd.nextBoolean()) + pick(" is out of print.", ".", " ships today"));
                break;
            case 3:
                t.add(pick("ISBN ", "ISBN-10 ") + isbn10(rnd.nextBoolean()) + pick(".", " (paperback)"));
                break;
            case 4:
                t.add("Meeting on " + date() + pick(" at 10am.", ", room 1203.", "; bring slides"));
                break;
            case 5:
                t.add(pick("card ", "Card number: ", "visa ") + luhnInvalidCard() + pick(" was rejected", " is invalid."));
                break;
            case 6:
                t.add(pick("Upgrade to version ", "running v", "build ", "Windows ") + version() + pick(" now.", " today", "."));
                break;
            case 7:
                t.add("Logged at " + pick("12:30:45", "09:15", "23:59:59.123", "14:05", "2024-03-15 10:30:00") + " UTC.");
                break;
            case 8:
                t.add("Total " + pick("$1,234.56", "€99.99", "1234.50 EUR", "£12.00", "$ 3,450,000") + " incl. tax");
                break;
            case 9:
                t.add("Ship to " + pick("94103", "94103-1234", "SW1A 1AA", "75008 Paris", "10115 Berlin", "560001 Bangalore") + ".");
                break;
            case 10:
                t.add(pick("UPS tracking 1Z" + chars(UPPER_ALNUM, 16), "USPS 9400 1000 0000 " + digits(4) + " " + digits(4) + " " + digits(2),
                        "FedEx tracking number " + digits(12), "DHL AWB " + digits(10)) + ".");
                break;
            case 11:
                t.add(pick("SSN ", "ssn: ", "") + pick("000", "666", "9" + digits(2)) + "-" + digits(2) + "-" + digits(4) + " is not valid.");
                break;
            case 12:
                t.add("IBAN " + invalidIban() + " bounced.");
                break;
            case 13:
                t.add("MAC " + mac() + " on eth0.");
                break;
            case 14:
                t.add("commit " + chars(HEX, 40) + " fixes the build.");
                break;
            case 15:
                t.add("request id " + uuid() + " failed.");
                break;
            case 16:
                t.add(pick("Write to us at support at example dot com.", "follow @finetune_dev", "see icon@2x.png",
                        "the @ sign", "user@localhost is local"));
                break;
            case 17:
                t.add("the key takeaway: revenue grew " + digits(2) + "% in Q" + (1 + rnd.nextInt(4)) + ".");
                break;
            case 18:
                t.add("Call the " + pick("office", "front desk", "helpdesk") + " at extension " + digits(4) + ".");
                break;
            case 19:
                t.add(pick("Python ", "Java ", "node ") + version() + " and pip " + (1 + rnd.nextInt(24)) + "." + rnd.nextInt(10));
                break;
            case 20:
                t.add("Patent US" + digits(7) + " and lot " + digits(8) + " expire " + date() + ".");
                break;
            case 21:
                t.add(pick("Barcode " + nonCardDigits(13), "EAN " + nonCardDigits(13), "timestamp " + (1600000000 + rnd.nextInt(200000000)),
                        "Coordinates 37.7749, -122.4194", "population 8,336,817", "pi is 3.14159265",
                        "Released " + date() + "T10:30:00Z", "room " + digits(4) + ", floor 12", "Deployed at " + digits(10),
                        "reference code " + nonCardDigits(16), "vote +1 on this", "batch " + digits(9)) + ".");
                break;
            case 22:
                // Number-heavy prose with no identifier word in front.
                t.add(pick("Call 1-800-FLOWERS today", "We have 1 000 000 users", "Price: € 1 234 567,89",
                        "CAS 7732-18-5 is water", "colour #ff00aa", "final score 3-2", "from 2019-2024", "week 2024-W11",
                        "screen 1920x1080", "Avogadro 6.02214076e23", "flight BA 0117", "open 09:00-17:30 daily",
                        "log 2024-03-15 14:22:01,123 INFO", "ISO 27001 and RFC 5322", "Build 22621.2428",
                        "Chrome/120.0.6099.109 Safari/537.36", "compact date 20240315", "He ran 42.195 km in 2:01:09",
                        "values 12 34 56 78 90 12 34", "grid 3 7 4 1 9 8 2 6 5", "matrix 0.25 0.5 0.75 1.0",
                        "sha256 " + chars(HEX, 64), "token count 4096, context 128000", "key points: 1) " + digits(3) + " 2) " + digits(3))
                        + ".");
                break;
            default:
                t.add(pick("Thanks for your help!", "Can you summarise this article?", "The weather is nice today.",
                        "Please translate to French.", "What is 12 x 34?", "Agenda: 1. intro 2. budget 3. Q&A"));
        }
    }

    // ---------------------------------------------------------------- value generators

    String email() {
        String[] first = {"john", "ana", "li", "maria", "o.brien", "sam", "priya", "jean-luc", "zoe"};
        String[] last = {"smith", "garcia", "wang", "mueller", "okafor", "rossi", "dupont", "kaur"};
        String local;
        switch (rnd.nextInt(5)) {
            case 0:
                local = pick(first) + "." + pick(last);
                break;
            case 1:
                local = pick(first) + pick(last) + rnd.nextInt(100);
                break;
            case 2:
                local = pick(first).charAt(0) + pick(last) + "+" + pick("news", "work", "ft");
                break;
            case 3:
                local = pick(first) + "_" + pick(last);
                break;
            default:
                local = pick(first);
        }
        String domain = pick("example", "mail", "corp-x", "uni-heidelberg", "acme", "gmail", "outlook", "proton");
        if (rnd.nextInt(4) == 0) {
            domain = pick("eu", "mx", "staff") + "." + domain;
        }
        return local + "@" + domain + "." + pick("com", "org", "net", "io", "co.uk", "de", "fr", "info", "dev", "com.au");
    }

    PhoneNumber validPhone(String region) {
        PhoneNumber example = PHONES.getExampleNumberForType(region, rnd.nextBoolean() ? PhoneNumberType.MOBILE : PhoneNumberType.FIXED_LINE);
        String nsn = PHONES.getNationalSignificantNumber(example);
        for (int attempt = 0; attempt < 50; attempt++) {
            String candidate = nsn.substring(0, nsn.length() - 4) + digits(4);
            PhoneNumber p = new PhoneNumber().setCountryCode(example.getCountryCode()).setNationalNumber(Long.parseLong(candidate));
            if (example.hasItalianLeadingZero()) {
                p.setItalianLeadingZero(true);
            }
            if (PHONES.isValidNumber(p)) {
                return p;
            }
        }
        return example;
    }

    /** A Luhn-valid number with a brand's IIN and length, grouped as that brand prints it. */
    static String card(Random rnd) {
        String[][] brands = {{"4", "16"}, {"4", "13"}, {"51", "16"}, {"55", "16"}, {"2221", "16"}, {"2720", "16"},
                {"34", "15"}, {"37", "15"}, {"6011", "16"}, {"65", "16"}, {"3528", "16"}, {"36", "14"}, {"62", "16"},
                {"4", "19"}};
        String[] b = brands[rnd.nextInt(brands.length)];
        int len = Integer.parseInt(b[1]);
        StringBuilder pan = new StringBuilder(b[0]);
        while (pan.length() < len - 1) {
            pan.append((char) ('0' + rnd.nextInt(10)));
        }
        pan.append((char) ('0' + Checksums.luhnCheckDigit(pan)));
        return groupCard(pan.toString(), new String[] {"", " ", "-"}[rnd.nextInt(3)]);
    }

    static String groupCard(String pan, String sep) {
        if (sep.isEmpty()) {
            return pan;
        }
        int[] groups = pan.length() == 15 ? new int[] {4, 6, 5} : pan.length() == 14 ? new int[] {4, 6, 4}
                : pan.length() == 13 ? new int[] {4, 3, 3, 3} : null;
        StringBuilder sb = new StringBuilder();
        if (groups != null) {
            int at = 0;
            for (int g : groups) {
                if (at > 0) {
                    sb.append(sep);
                }
                sb.append(pan, at, at + g);
                at += g;
            }
            return sb.toString();
        }
        for (int i = 0; i < pan.length(); i += 4) {
            if (i > 0) {
                sb.append(sep);
            }
            sb.append(pan, i, Math.min(pan.length(), i + 4));
        }
        return sb.toString();
    }

    /** A valid IBAN for a random registry country: random BBAN (digits, a few letters), computed check digits. */
    static String iban(Random rnd, boolean spaced) {
        List<String> countries = new ArrayList<>(IbanDetector.LENGTHS.keySet());
        String cc = countries.get(rnd.nextInt(countries.size()));
        return iban(cc, rnd, spaced);
    }

    static String iban(String cc, Random rnd, boolean spaced) {
        int len = IbanDetector.LENGTHS.get(cc);
        StringBuilder bban = new StringBuilder();
        boolean letters = rnd.nextInt(3) == 0;
        for (int i = 0; i < len - 4; i++) {
            bban.append(letters && i < 4 ? (char) ('A' + rnd.nextInt(26)) : (char) ('0' + rnd.nextInt(10)));
        }
        return formatIban(withCheckDigits(cc, bban.toString()), spaced);
    }

    static String withCheckDigits(String cc, String bban) {
        int rem = Checksums.ibanMod97(cc + "00" + bban);
        int check = 98 - rem;
        return cc + (check < 10 ? "0" : "") + check + bban;
    }

    static String formatIban(String compact, boolean spaced) {
        if (!spaced) {
            return compact;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < compact.length(); i += 4) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(compact, i, Math.min(compact.length(), i + 4));
        }
        return sb.toString();
    }

    String ip() {
        switch (rnd.nextInt(5)) {
            case 0:
            case 1:
                return (11 + rnd.nextInt(212)) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + (1 + rnd.nextInt(254));
            case 2:
                StringBuilder full = new StringBuilder("2001:db8");
                for (int i = 0; i < 6; i++) {
                    full.append(':').append(Integer.toHexString(rnd.nextInt(65536)));
                }
                return full.toString();
            case 3:
                return "2001:db8:" + Integer.toHexString(1 + rnd.nextInt(65535)) + "::" + Integer.toHexString(1 + rnd.nextInt(65535));
            default:
                return "::ffff:" + (11 + rnd.nextInt(212)) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + (1 + rnd.nextInt(254));
        }
    }

    String jwt() {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(("{\"sub\":\"" + digits(8) + "\",\"name\":\"Ana\",\"iat\":" + digits(10) + "}")
                .getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + "." + chars(ALNUM + "-_", 43);
    }

    String pem() {
        String label = pick("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY");
        StringBuilder sb = new StringBuilder("-----BEGIN " + label + "-----\n");
        for (int i = 0; i < 3; i++) {
            sb.append(chars(ALNUM + "+/", 64)).append('\n');
        }
        return sb.append(chars(ALNUM, 20)).append("==\n-----END ").append(label).append("-----").toString();
    }

    private String isbn13(boolean hyphens) {
        String payload = pick("978", "979") + digits(9);
        int sum = 0;
        for (int i = 0; i < 12; i++) {
            sum += (payload.charAt(i) - '0') * (i % 2 == 0 ? 1 : 3);
        }
        String isbn = payload + (10 - sum % 10) % 10;
        return hyphens ? isbn.substring(0, 3) + "-" + isbn.charAt(3) + "-" + isbn.substring(4, 7) + "-" + isbn.substring(7, 12) + "-"
                + isbn.charAt(12) : isbn;
    }

    private String isbn10(boolean hyphens) {
        String payload = digits(9);
        int sum = 0;
        for (int i = 0; i < 9; i++) {
            sum += (payload.charAt(i) - '0') * (10 - i);
        }
        int check = (11 - sum % 11) % 11;
        String isbn = payload + (check == 10 ? "X" : String.valueOf(check));
        return hyphens ? isbn.charAt(0) + "-" + isbn.substring(1, 4) + "-" + isbn.substring(4, 9) + "-" + isbn.charAt(9) : isbn;
    }

    private String date() {
        int y = 2000 + rnd.nextInt(30);
        int m = 1 + rnd.nextInt(12);
        int d = 1 + rnd.nextInt(28);
        switch (rnd.nextInt(5)) {
            case 0:
                return String.format("%d-%02d-%02d", y, m, d);
            case 1:
                return String.format("%02d/%02d/%d", d, m, y);
            case 2:
                return String.format("%02d/%02d/%d", m, d, y);
            case 3:
                return String.format("%02d.%02d.%d", d, m, y);
            default:
                return String.format("%d/%02d/%02d", y, m, d);
        }
    }

    private String luhnInvalidCard() {
        String valid;
        do {
            valid = card(rnd);
        } while (valid.length() < 16);
        char last = valid.charAt(valid.length() - 1);
        char wrong = (char) ('0' + ((last - '0' + 1 + rnd.nextInt(8)) % 10));
        return valid.substring(0, valid.length() - 1) + wrong;
    }

    private String version() {
        switch (rnd.nextInt(4)) {
            case 0:
                return (1 + rnd.nextInt(20)) + "." + rnd.nextInt(20) + "." + rnd.nextInt(30);
            case 1:
                return "10.0." + (10000 + rnd.nextInt(20000)) + "." + rnd.nextInt(5000);
            case 2:
                return rnd.nextInt(10) + "." + rnd.nextInt(10) + "." + rnd.nextInt(10) + "." + rnd.nextInt(10);
            default:
                return (1 + rnd.nextInt(3)) + "." + rnd.nextInt(30);
        }
    }

    private String invalidIban() {
        String valid = iban(rnd, rnd.nextBoolean());
        int check = Integer.parseInt(valid.substring(2, 4));
        int wrong = 2 + (check - 2 + 1 + rnd.nextInt(95)) % 97;
        return valid.substring(0, 2) + (wrong < 10 ? "0" : "") + wrong + valid.substring(4);
    }

    private String mac() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                sb.append(':');
            }
            sb.append(chars(HEX, 2));
        }
        return sb.toString();
    }

    private String uuid() {
        return chars(HEX, 8) + "-" + chars(HEX, 4) + "-4" + chars(HEX, 3) + "-a" + chars(HEX, 3) + "-" + chars(HEX, 12);
    }

    private String digits(int n) {
        return chars("0123456789", n);
    }

    private String chars(String alphabet, int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    @SafeVarargs
    private <T> T pick(T... options) {
        return options[rnd.nextInt(options.length)];
    }
}
