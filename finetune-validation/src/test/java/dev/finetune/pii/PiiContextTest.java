package dev.finetune.pii;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Words around a value change its confidence, never whether a value of a sure shape is found under the
 * default threshold; ambiguous shapes still need a word that says what they are, and decoys stay.
 */
class PiiContextTest {
    private static final PiiScanner SCANNER = PiiScanner.defaults();

    /** The single finding of {@code type} in {@code text} covering exactly {@code value}. */
    private static Finding foundExactly(String text, String value, PiiType type) {
        List<Finding> f = SCANNER.scan(text);
        int at = text.indexOf(value);
        for (Finding x : f) {
            if (x.type() == type && x.start() == at && x.end() == at + value.length()) {
                return x;
            }
        }
        throw new AssertionError(type + " " + value + " not found exactly in \"" + text + "\": " + f);
    }

    private static void nothingIn(String text) {
        assertEquals(List.of(), SCANNER.scan(text), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Please update my account: %s.", "order %s", "Invoice %s", "ticket #4471: %s", "ID: %s",
            "reference %s", "Bestellung 7781: %s", "facture : %s", "número de cuenta %s", "tracking %s", "%s"})
    void aChecksumValidCardOrIbanIsAlwaysAFinding(String template) {
        for (String card : List.of("4111 1111 1111 1111", "5500-0000-0000-0004", "378282246310005", "6011 0009 9013 9424")) {
            Finding f = foundExactly(template.replace("%s", card), card, PiiType.CREDIT_CARD);
            assertTrue(f.confidence() >= PiiScanner.DEFAULT_MIN_CONFIDENCE, f.toString());
        }
        for (String iban : List.of("DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "FR1420041010050500013M02606")) {
            foundExactly(template.replace("%s", iban), iban, PiiType.IBAN);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"my account: %s.", "order number %s", "phone %s", "ID %s", "Ausweis-ID %s", "Ticket %s merci",
            "applicant %s approved", "SSN %s", "%s"})
    void anSsnInItsDashedFormIsAFindingWhateverTheWords(String template) {
        for (String ssn : List.of("536-22-1945", "078-05-1120", "123-45-6789", "899-99-9999")) {
            foundExactly(template.replace("%s", ssn), ssn, PiiType.US_SSN);
        }
    }

    @Test
    void aCardFollowedByItsExpiryIsStillACardButAWindowOfALongerNumberIsNot() {
        foundExactly("Please update my account: 4111 1111 1111 1111 12/27.", "4111 1111 1111 1111", PiiType.CREDIT_CARD);
        // a Luhn-invalid 19-digit card-like number whose first 16 digits pass Luhn is a decoy
        nothingIn("Kundennummer 4111 1111 1111 1111 124");
        // 22 digits in groups; its Luhn-valid 16-digit windows are no card without a card word
        String tracking = "9400 4111 1111 1111 1111 12";
        assertTrue(SCANNER.scan("parcel " + tracking).stream().noneMatch(f -> f.type() == PiiType.CREDIT_CARD));
    }

    @Test
    void theSsasNeverIssuedNumbersAreNotSsns() {
        for (String bad : List.of("000-12-3456", "666-12-3456", "912-34-5678", "536-00-1945", "536-22-0000")) {
            assertTrue(SCANNER.scan("SSN " + bad).stream().noneMatch(f -> f.type() == PiiType.US_SSN), bad);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"(733) 876-4483", "+1 729-943-3738", "+33 1 15 20 95 32", "+14155552671", "(415) 555-2671",
            "415.555.2671", "020 7946 0958", "+44 20 7946 0958", "01 23 45 67 89", "+49 30 1234567", "1-800-555-0199"})
    void aNumberInAPhoneFormatIsAFindingEvenInAnUnassignedRange(String phone) {
        for (String template : List.of("%s", "Call me at %s.", "Please update my account: %s.", "order 88123 - %s",
                "Kundennummer %s", "mon numéro : %s", "tel:%s")) {
            foundExactly(template.replace("%s", phone), phone, PiiType.PHONE_NUMBER);
        }
    }

    @Test
    void validityAndPhoneWordsRaiseConfidenceIdentifierWordsLowerIt() {
        double unassigned = foundExactly("(733) 876-4483", "(733) 876-4483", PiiType.PHONE_NUMBER).confidence();
        double valid = foundExactly("(415) 555-2671", "(415) 555-2671", PiiType.PHONE_NUMBER).confidence();
        double called = foundExactly("call (415) 555-2671", "(415) 555-2671", PiiType.PHONE_NUMBER).confidence();
        double ordered = foundExactly("order (415) 555-2671", "(415) 555-2671", PiiType.PHONE_NUMBER).confidence();
        assertTrue(unassigned < valid && valid < called && ordered < valid, unassigned + " " + valid + " " + called + " " + ordered);
        assertTrue(ordered >= PiiScanner.DEFAULT_MIN_CONFIDENCE);
    }

    @Test
    void extensionsInternationalPrefixesAndLowerCaseIbansAreFound() {
        foundExactly("Contact: +1-733-876-4483 ext. 12", "+1-733-876-4483 ext. 12", PiiType.PHONE_NUMBER);
        foundExactly("Compte 0033 1 15 20 95 32", "0033 1 15 20 95 32", PiiType.PHONE_NUMBER);
        foundExactly("my iban is gb82 west 1234 5698 7654 32", "gb82 west 1234 5698 7654 32", PiiType.IBAN);
        foundExactly("Phone: +1.733.876.4483", "+1.733.876.4483", PiiType.PHONE_NUMBER);
        foundExactly("Phone: 1.733.876.4483", "1.733.876.4483", PiiType.PHONE_NUMBER);
        nothingIn("serial 4111-1111-1111-1111-0000");
        nothingIn("Konto 00524037528719");
        nothingIn("PO number 4500012345");
    }

    @Test
    void ambiguousShapesNeedAPhoneWord() {
        nothingIn("Deployed at 4155552671");
        nothingIn("order 4155552671 has shipped");
        foundExactly("call me at 4155552671", "4155552671", PiiType.PHONE_NUMBER);
        foundExactly("mi teléfono es 4155552671", "4155552671", PiiType.PHONE_NUMBER);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Order ORD-2024-123456 has shipped.", "order #4155552671 is on its way", "ISBN 978-3-16-148410-0",
            "ISBN 0-306-40615-2", "Meeting on 2024-03-15 at 10am", "on 15.03.2024", "running v10.0.19045.2965",
            "card 4111 1111 1111 1112 was rejected", "numéro de carte 4111-1111-1111-1112", "UPS 1Z999AA10123456784",
            "USPS 9400 1000 0000 0000 0000 00", "FedEx tracking number 123456789012", "Total $1,234.56 incl. tax",
            "Montant 1.234,56 €", "Price: € 1 234 567,89", "Kontonummer 1234567890", "Bestellnummer 2024-118-7781",
            "ticket TCK-2024-5531", "pedido nº 55318", "SSN 666-12-3456 is not valid", "IBAN DE00 3704 0044 0532 0130 00 bounced",
            "from 2019-2024", "open 09:00-17:30 daily", "CAS 7732-18-5 is water", "Build 22621.2428"})
    void decoysStayUntouched(String text) {
        nothingIn(text);
    }
}
