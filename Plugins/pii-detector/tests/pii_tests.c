/*
 * pii_tests.c: unit tests of the pii-detector plugin: every entity (positives and look-alikes that must not
 * match), custom patterns, every redaction style, the streaming hold-back, the JSON reader, config errors,
 * and the ABI glue through a small fake host (tests/pii_fake_host.c: verdicts, deny messages, tags,
 * insert_delta). The v1.1 segment kinds are tested in tests/pii_ext_tests.c.
 *
 * Build and run with tests/run.sh. Prints one line per failed check and a last line "N passed, M failed";
 * exits 1 when anything failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pii_buf.h"
#include "pii_detect.h"
#include "pab_json.h"
#include "pii_json.h"
#include "pii_redact.h"
#include "pii_settings.h"
#include "pii_stream.h"
#include "policy_abi.h"
#include "pii_test.h"

/* The descriptor declares PAB_CAP_INLINE_SAFE when built against a header that has it (v1.3 on). */
#ifdef PAB_CAP_INLINE_SAFE
#define TEST_CAP_INLINE_SAFE PAB_CAP_INLINE_SAFE
#else
#define TEST_CAP_INLINE_SAFE 0u
#endif

static int passed, failed;

void check(int ok, const char *file, int line, const char *fmt, ...) {
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static const pii_config all_types = {PII_ALL_BUILTIN_TYPES, NULL, 0};

/* "TYPE=value;TYPE=value" for the matches in text. */
static void describe(const pii_config *cfg, const char *text, char *out, size_t cap) {
    pii_match m[32];
    size_t n = pii_scan(cfg, text, strlen(text), m, 32);
    size_t w = 0;
    out[0] = '\0';
    for (size_t k = 0; k < n && k < 32 && w < cap; k++) {
        int r = snprintf(out + w, cap - w, "%s%s=%.*s", k ? ";" : "", pii_type_name(cfg, m[k].type),
                         (int)(m[k].end - m[k].start), text + m[k].start);
        if (r < 0) break;
        w += (size_t)r;
    }
}

static void expect_cfg(const pii_config *cfg, const char *text, const char *expected, int line) {
    char got[2048];
    describe(cfg, text, got, sizeof got);
    check(strcmp(got, expected) == 0, __FILE__, line, "scan(\"%s\")\n     expected: \"%s\"\n     got:      \"%s\"", text,
          expected, got);
}
#define EXPECT(text, expected) expect_cfg(&all_types, text, expected, __LINE__)
#define NONE(text) expect_cfg(&all_types, text, "", __LINE__)

/* ----------------------------------------------------------------------------------------- entities */

static void test_email(void) {
    EXPECT("mail john.doe@example.com now", "EMAIL_ADDRESS=john.doe@example.com");
    EXPECT("a@b.co", "EMAIL_ADDRESS=a@b.co");
    EXPECT("user+tag@sub.example.co.uk.", "EMAIL_ADDRESS=user+tag@sub.example.co.uk");
    EXPECT("(jane_o'neil@example.org)", "EMAIL_ADDRESS=jane_o'neil@example.org");
    EXPECT("'bob@example.org'", "EMAIL_ADDRESS=bob@example.org");
    EXPECT("user@xn--80ak6aa92e.com", "EMAIL_ADDRESS=user@xn--80ak6aa92e.com");
    EXPECT("mailto:jane@example.org", "EMAIL_ADDRESS=jane@example.org");
    EXPECT("try info@presidio.site or anotherinfo@presidio.site",
           "EMAIL_ADDRESS=info@presidio.site;EMAIL_ADDRESS=anotherinfo@presidio.site");
    NONE("my email is info@presidio.");
    NONE("icon@2x.png and logo@3x.svg");
    NONE("follow @username on x");
    NONE("john@localhost");
    NONE("a@b");
    NONE("this is not an email: hello-world here");
    NONE("x@y.c0m");
}

static void test_phone(void) {
    EXPECT("call (415) 555-0132 today", "PHONE_NUMBER=(415) 555-0132");
    EXPECT("415-555-0132", "PHONE_NUMBER=415-555-0132");
    EXPECT("415.555.0132", "PHONE_NUMBER=415.555.0132");
    EXPECT("1-800-555-0199", "PHONE_NUMBER=1-800-555-0199");
    EXPECT("+1 415 555 0132", "PHONE_NUMBER=+1 415 555 0132");
    EXPECT("+44 20 7123 4567", "PHONE_NUMBER=+44 20 7123 4567");
    EXPECT("+44 (0)20 7123 4567", "PHONE_NUMBER=+44 (0)20 7123 4567");
    EXPECT("+44(0)1184960049", "PHONE_NUMBER=+44(0)1184960049");
    EXPECT("ring 020 7123 4567 now", "PHONE_NUMBER=020 7123 4567");
    EXPECT("07700 900123", "PHONE_NUMBER=07700 900123");
    EXPECT("+49 30 1234567", "PHONE_NUMBER=+49 30 1234567");
    EXPECT("030 12345678", "PHONE_NUMBER=030 12345678");
    EXPECT("089/1234567", "PHONE_NUMBER=089/1234567");
    EXPECT("01 23 45 67 89", "PHONE_NUMBER=01 23 45 67 89");
    EXPECT("01.23.45.67.89", "PHONE_NUMBER=01.23.45.67.89");
    EXPECT("+33 1 42 68 53 00", "PHONE_NUMBER=+33 1 42 68 53 00");
    EXPECT("0612345678", "PHONE_NUMBER=0612345678");
    EXPECT("(415) 555-0132 ext. 42", "PHONE_NUMBER=(415) 555-0132 ext. 42");
    EXPECT("345-899-3560x4587", "PHONE_NUMBER=345-899-3560x4587");
    EXPECT("Phone:\n467 3395", "PHONE_NUMBER=467 3395");
    EXPECT("416 60 039 office", "PHONE_NUMBER=416 60 039");
    EXPECT("Fax: 9498777106", "PHONE_NUMBER=9498777106");
    EXPECT("My CN number is 13812345678", "PHONE_NUMBER=13812345678");
    /* look-alikes */
    NONE("order number 12345678");
    NONE("Invoice 0123 456 789 is due");
    NONE("released on 2023-01-15 and 15.01.2023 and 01/15/2023");
    NONE("at 12:30:45");
    NONE("Version 10.0.19041.1");
    NONE("population 1 234 567");
    NONE("between 1998 and 2004");
    NONE("5403926876");                   /* a bare number: no phone format, no context */
    NONE("Coordinates 48.144986, 2.144986");
    NONE("call me at 12");
    NONE("Billing address: 03262 2437 Main St");
    NONE("My number is 42.");
    NONE("IBAN DE89 3704 0044 0532 0130 01 is wrong");
}

static void test_card(void) {
    EXPECT("card 4111 1111 1111 1111 exp 09/27", "CREDIT_CARD=4111 1111 1111 1111");
    EXPECT("4111-1111-1111-1111", "CREDIT_CARD=4111-1111-1111-1111");
    EXPECT("4111111111111111", "CREDIT_CARD=4111111111111111");
    EXPECT("amex 371449635398431", "CREDIT_CARD=371449635398431");
    EXPECT("3714 496353 98431", "CREDIT_CARD=3714 496353 98431");
    EXPECT("5555555555554444", "CREDIT_CARD=5555555555554444");
    EXPECT("2223003122003222", "CREDIT_CARD=2223003122003222");
    EXPECT("6011000990139424", "CREDIT_CARD=6011000990139424");
    EXPECT("3530111333300000", "CREDIT_CARD=3530111333300000");
    EXPECT("30569309025904", "CREDIT_CARD=30569309025904");
    EXPECT("4222222222222", "CREDIT_CARD=4222222222222");
    EXPECT("4012888888881881 4012-8888-8888-1881 4012 8888 8888 1881",
           "CREDIT_CARD=4012888888881881;CREDIT_CARD=4012-8888-8888-1881;CREDIT_CARD=4012 8888 8888 1881");
    EXPECT("4111 1111 1111 1111 123", "CREDIT_CARD=4111 1111 1111 1111"); /* a CVV after it */
    EXPECT("my card 501864667909 expires", "CREDIT_CARD=501864667909"); /* 12-digit Maestro with a card word */
    NONE("501864667909");                                              /* ... and without */
    NONE("4111 1111 1111 1112");                                       /* Luhn */
    NONE("my credit card number is 4012-8888-8888-1882");
    NONE("36168002586008");
    NONE("1748503543012");
    NONE("7111111111111114");             /* no such issuer */
    NONE("41111111111111111111");         /* 20 digits */
    NONE("4111111111111111.5");           /* a decimal */
    NONE("4111 1111 1111 11");            /* too short */
}

static void test_iban(void) {
    EXPECT("IBAN DE89 3704 0044 0532 0130 00.", "IBAN_CODE=DE89 3704 0044 0532 0130 00");
    EXPECT("DE89370400440532013000", "IBAN_CODE=DE89370400440532013000");
    EXPECT("GB29 NWBK 6016 1331 9268 19", "IBAN_CODE=GB29 NWBK 6016 1331 9268 19");
    EXPECT("my iban is gb29nwbk60161331926819", "IBAN_CODE=gb29nwbk60161331926819");
    EXPECT("FR14 2004 1010 0505 0001 3M02 606", "IBAN_CODE=FR14 2004 1010 0505 0001 3M02 606");
    EXPECT("NO93 8601 1117 947", "IBAN_CODE=NO93 8601 1117 947");
    EXPECT("to VG96 VPVG 0000 0123 4567 8901 X in", "IBAN_CODE=VG96 VPVG 0000 0123 4567 8901");
    EXPECT("ES15-0049-1806-9121-1186-9374", "IBAN_CODE=ES15-0049-1806-9121-1186-9374");
    NONE("DE89 3704 0044 0532 0130 01");        /* checksum */
    NONE("DE89 3704 0044 0532 0130");           /* too short */
    NONE("DE89 3704 0044 0532 0130 000");       /* too long */
    NONE("GB29 NWBK 6016 1331 9268 1");
    NONE("XX89 3704 0044 0532 0130 00");        /* no such country */
    NONE("ES2121000418450200051331");           /* Spanish account check digits */
    NONE("LV80 bANK 0000 4351 9500 1");         /* mixed case */
    NONE("AL47/2121/1009/0000/0002/3569/8741"); /* '/' is no separator */
    NONE("AL47 212A 1009 0000 0002 3569 8741"); /* letter in a numeric field */
    CHECK(pii_iban_valid("GB82WEST12345698765432", 22), "GB82WEST12345698765432 is valid");
    CHECK(!pii_iban_valid("GB82WEST12345698765431", 22), "GB82WEST12345698765431 is not");
}

static void test_ssn(void) {
    EXPECT("SSN 123-45-6789", "US_SSN=123-45-6789");
    EXPECT("078 05 1123", "US_SSN=078 05 1123");
    EXPECT("078.05.1123", "US_SSN=078.05.1123");
    EXPECT("ssn: 536225819", "US_SSN=536225819");
    EXPECT("social security number 536-22-5819", "US_SSN=536-22-5819");
    EXPECT("area 772-12-3456 is issued since 2011", "US_SSN=772-12-3456");
    NONE("000-12-3456");
    NONE("666-12-3456");
    NONE("912-34-5678");
    NONE("123-00-4567");
    NONE("123-45-0000");
    NONE("078-05-1120");
    NONE("219-09-9999");
    NONE("536225819");        /* bare, no context */
    NONE("ssn for order #536225819");
    NONE("123-45-67890");
    NONE("693-09.4444");      /* mixed separators */
    CHECK(pii_ssn_valid(1, 1, 1) && !pii_ssn_valid(666, 1, 1), "ssn ranges");
}

static void test_ip(void) {
    EXPECT("from 192.168.1.1, then 10.0.0.1.", "IP_ADDRESS=192.168.1.1;IP_ADDRESS=10.0.0.1");
    EXPECT("255.255.255.255", "IP_ADDRESS=255.255.255.255");
    EXPECT("Server IP: 2001:db8::1", "IP_ADDRESS=2001:db8::1");
    EXPECT("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "IP_ADDRESS=2001:0db8:85a3:0000:0000:8a2e:0370:7334");
    EXPECT("fe80::1%eth0 up", "IP_ADDRESS=fe80::1%eth0");
    EXPECT("::ffff:192.0.2.1", "IP_ADDRESS=::ffff:192.0.2.1");
    EXPECT("64:ff9b::198.51.100.1", "IP_ADDRESS=64:ff9b::198.51.100.1");
    EXPECT("Connect to [2001:db8::1]:8080", "IP_ADDRESS=2001:db8::1");
    EXPECT("192.168.2.1@eth0", "IP_ADDRESS=192.168.2.1");
    EXPECT("loopback ::1", "IP_ADDRESS=::1");
    EXPECT("text::ffff:192.0.2.1", "IP_ADDRESS=192.0.2.1");
    NONE("version 1.2.3.4.5");
    NONE("1.3.6.1.4.1.311");                 /* an OID */
    NONE("256.1.1.1 and 192.168.1 and 300.168.1.1");
    NONE("at 12:30:45");
    NONE("MAC aa:bb:cc:dd:ee:ff");
    NONE("std::cout << MyClass::toString");
    NONE("Version 1.2.3.4");
    NONE("v1.2.3.4");
    NONE("2001::db8::1");
    NONE("map :: (a -> b) -> [a] -> [b]");   /* bare "::" is code, not an address */
    NONE("684D:1111:222:3333:4444:5555:77");
    NONE("fe80::1text");
    NONE("IP192.168.1.1text");
}

static void test_secrets(void) {
    char buf[1024];
    EXPECT("OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn",
           "OPENAI_API_KEY=sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn");
    EXPECT("key sk-abcdefghij0123456789T3BlbkFJabcdefghij0123456789 end",
           "OPENAI_API_KEY=sk-abcdefghij0123456789T3BlbkFJabcdefghij0123456789");
    snprintf(buf, sizeof buf, "x-api-key: sk-ant-api03-%s%sAA", "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6kM9nP2qS5uV8xA1c",
             "D4fG7iL0oR3tU6wX9zB2dE5hK8mN1pQ4sT7vY0-_abc");
    {
        char want[1100];
        snprintf(want, sizeof want, "ANTHROPIC_API_KEY=%s", buf + 11);
        expect_cfg(&all_types, buf, want, __LINE__);
    }
    EXPECT("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE");
    EXPECT("ASIAY34FZKBOKMUTVV7A", "AWS_ACCESS_KEY_ID=ASIAY34FZKBOKMUTVV7A");
    EXPECT("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
           "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    EXPECT("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    EXPECT("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678",
           "GITHUB_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678");
    EXPECT("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
           "SLACK_TOKEN=xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx");
    EXPECT("key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe&q=1", "GOOGLE_API_KEY=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe");
    EXPECT("Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
           "JWT=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U");
    EXPECT("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY-----\nbye",
           "PRIVATE_KEY=-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY-----");
    EXPECT("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
           "PRIVATE_KEY=-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----");
    EXPECT("-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK----- x",
           "PRIVATE_KEY=-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----");
    {
        const char *t = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg";
        pii_match m[4];
        size_t n = pii_scan(&all_types, t, strlen(t), m, 4);
        CHECK(n == 1 && m[0].type == PII_PRIVATE_KEY && m[0].end == strlen(t) && (m[0].flags & PII_MATCH_UNTERMINATED),
              "an unterminated private key runs to the end of the text");
    }
    NONE("use sk-learn-tutorial-for-beginners-and-experts-alike");
    NONE("sk-short123");
    NONE("AKIA1234");
    NONE("AKIAIOSFODNN7EXAMPLEX");
    NONE("checksum wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"); /* 40 chars but no aws/secret words */
    NONE("ghp_short");
    NONE("xoxb-notatokenatall");
    NONE("eyJhbGciOiJIUzI1NiJ9 alone");
    NONE("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYI\n-----END PUBLIC KEY-----");
    NONE("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
}

static void test_entity_selection(void) {
    pii_config only_email = {PII_TYPE_BIT(PII_EMAIL_ADDRESS), NULL, 0};
    expect_cfg(&only_email, "a@b.co 4111111111111111 192.168.1.1", "EMAIL_ADDRESS=a@b.co", __LINE__);
    pii_config secrets = {PII_SECRET_TYPES, NULL, 0};
    expect_cfg(&secrets, "a@b.co AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", __LINE__);
    /* overlaps: the more specific type wins */
    EXPECT("mail +14155550132@sms.example.com", "EMAIL_ADDRESS=+14155550132@sms.example.com");
    EXPECT("http://192.168.1.1/path", "IP_ADDRESS=192.168.1.1");
    /* offsets are bytes in UTF-8 text */
    EXPECT("Grüße an jürgen@example.de", "EMAIL_ADDRESS=jürgen@example.de");
    EXPECT("日本 4111 1111 1111 1111", "CREDIT_CARD=4111 1111 1111 1111");
    /* the count is returned even when it exceeds the capacity */
    pii_match one[1];
    size_t n = pii_scan(&all_types, "a@b.co c@d.co e@f.co", 20, one, 1);
    CHECK(n == 3 && one[0].start == 0 && one[0].end == 6, "count beyond capacity: got %zu", n);
}

static void test_patterns(void) {
    pii_pattern p[3];
    char err[200];
    CHECK(pii_pattern_compile(&p[0], "EMPLOYEE_ID", 11, "EMP-######", 10, err, sizeof err) == 0, "compile: %s", err);
    CHECK(pii_pattern_compile(&p[1], "TICKET", 6, "@@#-\\#?", 7, err, sizeof err) == 0, "compile: %s", err);
    CHECK(pii_pattern_compile(&p[2], "PROJECT", 7, "Project Falcon", 14, err, sizeof err) == 0, "compile: %s", err);
    pii_config cfg = {PII_TYPE_BIT(PII_EMAIL_ADDRESS), p, 3};
    expect_cfg(&cfg, "ask EMP-123456 now", "EMPLOYEE_ID=EMP-123456", __LINE__);
    expect_cfg(&cfg, "EMP-1234567 EMP-12345 XEMP-123456 emp-123456", "", __LINE__);
    expect_cfg(&cfg, "ref AB1-#x and AB1-#", "TICKET=AB1-#x", __LINE__);
    expect_cfg(&cfg, "about Project Falcon, mail a@b.co", "PROJECT=Project Falcon;EMAIL_ADDRESS=a@b.co", __LINE__);
    CHECK(strcmp(pii_type_name(&cfg, PII_TYPE_CUSTOM_BASE + 1), "TICKET") == 0, "custom type name");
    /* compile errors */
    pii_pattern q;
    CHECK(pii_pattern_compile(&q, "X", 1, "##", 2, err, sizeof err) != 0 && strstr(err, "at least 3"), "too short: %s", err);
    CHECK(pii_pattern_compile(&q, "X", 1, "AB\\", 3, err, sizeof err) != 0 && strstr(err, "lone"), "lone \\: %s", err);
    CHECK(pii_pattern_compile(&q, "X", 1, "####", 4, err, sizeof err) != 0 && strstr(err, "wildcards"), "wild: %s", err);
    CHECK(pii_pattern_compile(&q, "x", 1, "EMP-###", 7, err, sizeof err) != 0 && strstr(err, "name"), "lower name: %s", err);
    CHECK(pii_pattern_compile(&q, "X", 1, "caf\xc3\xa9", 5, err, sizeof err) != 0 && strstr(err, "ASCII"), "ascii: %s", err);
}

/* ----------------------------------------------------------------------------------------- redaction */

static void redact_with(const pii_redaction *r, const char *text, const char *expected, int line) {
    pii_match m[16];
    size_t n = pii_scan(&all_types, text, strlen(text), m, 16);
    pii_buf out = {0};
    int rc = pii_redact_append(r, &all_types, text, strlen(text), m, n, &out);
    check(rc == 0 && out.data != NULL && strcmp(out.data, expected) == 0, __FILE__, line,
          "redact(\"%s\")\n     expected: \"%s\"\n     got:      \"%s\"", text, expected, out.data ? out.data : "(null)");
    pii_buf_free(&out);
}

static void test_redaction(void) {
    const char *t = "Card 4111 1111 1111 1111, mail john@example.com, ip ::1";
    pii_redaction r;
    memset(&r, 0, sizeof r);
    strcpy(r.label_format, "[{TYPE}]");
    r.style = PII_STYLE_LABEL;
    redact_with(&r, t, "Card [CREDIT_CARD], mail [EMAIL_ADDRESS], ip [IP_ADDRESS]", __LINE__);
    strcpy(r.label_format, "<{TYPE}:{TYPE}>");
    redact_with(&r, "a@b.co", "<EMAIL_ADDRESS:EMAIL_ADDRESS>", __LINE__);
    strcpy(r.label_format, "[{TYPE}]");
    r.style = PII_STYLE_ASTERISK;
    redact_with(&r, t, "Card ****, mail ****, ip ****", __LINE__);
    r.style = PII_STYLE_PARTIAL;
    redact_with(&r, t, "Card **** **** **** 1111, mail ****@******e.com, ip ::*", __LINE__);
    r.style = PII_STYLE_PRESERVE_LENGTH;
    redact_with(&r, t, "Card **** **** **** ****, mail ****@*******.***, ip ::*", __LINE__);
    r.style = PII_STYLE_LABEL;
    r.marker[PII_EMAIL_ADDRESS] = "[EMAIL]";
    redact_with(&r, t, "Card [CREDIT_CARD], mail [EMAIL], ip [IP_ADDRESS]", __LINE__);
    /* masking keeps UTF-8 intact and never touches text outside the match */
    r.marker[PII_EMAIL_ADDRESS] = NULL;
    r.style = PII_STYLE_PRESERVE_LENGTH;
    redact_with(&r, "→ 4111-1111-1111-1111 ←", "→ ****-****-****-**** ←", __LINE__);
    r.style = PII_STYLE_PARTIAL;
    redact_with(&r, "4111-1111-1111-1111", "****-****-****-1111", __LINE__);
}

/* ----------------------------------------------------------------------------------------- streams */

typedef struct stream_run {
    char released[16][512];
    char all[4096];
    pii_found found;
} stream_run;

/* Feeds the deltas (NULL-terminated), then the final flush; records each release. */
static void run_stream(const pii_config *cfg, const pii_redaction *r, size_t hold_max, const char *const *deltas,
                       stream_run *out) {
    pii_stream s;
    memset(&s, 0, sizeof s);
    memset(out, 0, sizeof *out);
    pii_buf rel = {0};
    int k = 0;
    for (;; k++) {
        const char *d = deltas[k];
        pii_buf_clear(&rel);
        int rc = pii_stream_feed(&s, cfg, r, hold_max, d ? d : "", d ? strlen(d) : 0, d == NULL, &rel, &out->found);
        CHECK(rc == 0, "stream feed %d failed", k);
        if (k < 16) snprintf(out->released[k], sizeof out->released[k], "%s", rel.data ? rel.data : "");
        strncat(out->all, rel.data ? rel.data : "", sizeof out->all - strlen(out->all) - 1);
        if (d == NULL) break;
    }
    CHECK(s.pending.len == 0, "nothing held after the final flush");
    pii_buf_free(&rel);
    pii_stream_free(&s);
}

static pii_redaction label_redaction(void) {
    pii_redaction r;
    memset(&r, 0, sizeof r);
    strcpy(r.label_format, "[{TYPE}]");
    return r;
}

static void test_stream(void) {
    pii_redaction r = label_redaction();
    stream_run run;

    /* Plain prose goes out at once, up to where an entity could still begin. */
    const char *prose[] = {"Hello, how are you today? ", "I am fine, thanks", NULL};
    run_stream(&all_types, &r, 8192, prose, &run);
    CHECK(strcmp(run.released[0], "Hello, how are you today? ") == 0, "prose released whole: \"%s\"", run.released[0]);
    CHECK(strcmp(run.released[1], "I am fine, ") == 0, "only the last word held: \"%s\"", run.released[1]);
    CHECK(strcmp(run.released[2], "thanks") == 0, "flush releases the held word: \"%s\"", run.released[2]);

    /* A card number cut in two. */
    const char *two[] = {"Please charge 4111 1111 ", "1111 1111 thanks", NULL};
    run_stream(&all_types, &r, 8192, two, &run);
    CHECK(strcmp(run.released[0], "Please charge ") == 0, "held from the card's first group: \"%s\"", run.released[0]);
    CHECK(strcmp(run.all, "Please charge [CREDIT_CARD] thanks") == 0, "card across 2 deltas: \"%s\"", run.all);
    CHECK(run.found.count[PII_CREDIT_CARD] == 1 && run.found.total == 1, "one card counted");

    /* ... and in three. */
    const char *three[] = {"pay with 4111 11", "11 1111 11", "11 ok", NULL};
    run_stream(&all_types, &r, 8192, three, &run);
    CHECK(strcmp(run.all, "pay with [CREDIT_CARD] ok") == 0, "card across 3 deltas: \"%s\"", run.all);
    for (int k = 0; k < 4; k++) CHECK(strstr(run.released[k], "11") == NULL, "no card digits leak in release %d", k);

    /* An e-mail address cut in three, a phone number cut after its area code. */
    const char *mail[] = {"write to john.d", "oe@exam", "ple.com today", NULL};
    run_stream(&all_types, &r, 8192, mail, &run);
    CHECK(strcmp(run.all, "write to [EMAIL_ADDRESS] today") == 0, "email across deltas: \"%s\"", run.all);
    CHECK(strcmp(run.released[0], "write to ") == 0, "email: \"%s\"", run.released[0]);
    const char *phone[] = {"call me at (415) ", "555-0132 now", NULL};
    run_stream(&all_types, &r, 8192, phone, &run);
    CHECK(strcmp(run.all, "call me at [PHONE_NUMBER] now") == 0, "phone across deltas: \"%s\"", run.all);
    /* The label after a number arrives later. */
    const char *label[] = {"desk 416 60 039 off", "ice and more", NULL};
    run_stream(&all_types, &r, 8192, label, &run);
    CHECK(strcmp(run.all, "desk [PHONE_NUMBER] office and more") == 0, "phone label across deltas: \"%s\"", run.all);

    /* An IBAN in groups. */
    const char *iban[] = {"IBAN: DE89 3704 ", "0044 0532 0130 00", " received", NULL};
    run_stream(&all_types, &r, 8192, iban, &run);
    CHECK(strcmp(run.all, "IBAN: [IBAN_CODE] received") == 0, "iban across deltas: \"%s\"", run.all);

    /* A private key block across deltas. */
    const char *key[] = {"key: -----BEGIN RSA PRI", "VATE KEY-----\nMIIEpAIBAAKCAQEA7\n", "abc\n-----END RSA PRIVATE KEY-----",
                         "\nbye", NULL};
    run_stream(&all_types, &r, 8192, key, &run);
    CHECK(strcmp(run.all, "key: [PRIVATE_KEY]\nbye") == 0, "private key across deltas: \"%s\"", run.all);
    /* ... longer than the hold-back: the start goes out redacted, the rest is swallowed up to END. */
    const char *big[] = {"k -----BEGIN PRIVATE KEY-----\n", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
                         "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB\n",
                         "CC\n-----END PRIV", "ATE KEY-----\nafter", NULL};
    run_stream(&all_types, &r, 64, big, &run);
    CHECK(strcmp(run.all, "k [PRIVATE_KEY]\nafter") == 0, "key beyond hold_back_max: \"%s\"", run.all);
    CHECK(strstr(run.all, "AAAA") == NULL && strstr(run.all, "BBBB") == NULL, "no key material leaks");

    /* The hold-back is bounded: a long token goes out once it exceeds hold_back_max. */
    char longtok[300];
    memset(longtok, 'x', 299);
    longtok[299] = '\0';
    const char *lt[] = {longtok, NULL};
    run_stream(&all_types, &r, 64, lt, &run);
    CHECK(strlen(run.released[0]) == 299 - 64, "held at most hold_back_max bytes: released %zu", strlen(run.released[0]));

    /* Findings in held text are redacted at the final flush. */
    const char *tail[] = {"mail a@b.co", NULL};
    run_stream(&all_types, &r, 8192, tail, &run);
    CHECK(strcmp(run.released[0], "mail ") == 0 && strcmp(run.released[1], "[EMAIL_ADDRESS]") == 0, "flush redacts: \"%s\"",
          run.released[1]);

    /* Context words released earlier still count (bare SSN after "SSN"). */
    const char *ctx[] = {"Her SSN is ", "536225819.", NULL};
    run_stream(&all_types, &r, 8192, ctx, &run);
    CHECK(strcmp(run.all, "Her SSN is [US_SSN].") == 0, "context across deltas: \"%s\"", run.all);

    /* A custom pattern with a space is held until it is complete or broken. */
    pii_pattern p;
    char err[160];
    pii_pattern_compile(&p, "CODENAME", 8, "Blue Falcon", 11, err, sizeof err);
    pii_config cfg = {0, &p, 1};
    const char *cn[] = {"the Blue ", "Falcon plan", NULL};
    run_stream(&cfg, &r, 8192, cn, &run);
    CHECK(strcmp(run.released[0], "the ") == 0 && strcmp(run.all, "the [CODENAME] plan") == 0, "custom across deltas: \"%s\"",
          run.all);

    /* Held text is always a suffix of the input: nothing is reordered or lost. */
    const char *plain[] = {"a", "b c", " d", "e f ", "g", NULL};
    run_stream(&all_types, &r, 8192, plain, &run);
    CHECK(strcmp(run.all, "ab c de f g") == 0, "text preserved: \"%s\"", run.all);
}

/* Property: whatever the cut points, a stream releases exactly what redacting the whole text at once gives
 * (preserve_length keeps offsets comparable). Random texts built from entity fragments, fixed seed. */
static void test_stream_property(void) {
    static const char *const pieces[] = {
        "4111", " ", "1111", "-", "@", "a", "b.co", ".", "192", "168", "1", ":", "::", "ff", "DE89", "3704", "0044",
        "0532", "0130", "00", "+44", "(0)", "20", "7123", "4567", "call ", "phone: ", "ssn ", "123", "45", "6789",
        "-----BEGIN RSA PRIVATE KEY-----\n", "MIIE", "\n-----END RSA PRIVATE KEY-----", "sk-", "proj-", "AKIA",
        "IOSFODNN7EXAMPLE", "eyJ", "hbGciOiJIUzI1NiJ9", "x", "\xc3\xa9", "\xe6\x97\xa5", "\n", ", ", "? ", "office",
        "ghp_", "abcdefghijklmnopqrstuvwxyz0123456789", "xoxb-", "AIza", "0", "9", "(", ")", "%", "/", "=", "john",
        "GB29", "NWBK", "6016", "1331", "9268", "19", ". The ", "'", " ext. ", "x12", "Tel. ", "(415) ", "555-0132",
        "+1 ", "fax", " 0", "2023-01-15", "12:30", "v1.2.3.4", "DE89 3704 0044 0532 0130 00", "ES91", "NO93",
        "sk-ant-api03-", "EMP-", "123456"};
    uint32_t x = 2463534242u;
    pii_redaction r;
    memset(&r, 0, sizeof r);
    r.style = PII_STYLE_PRESERVE_LENGTH;
    int mismatches = 0, runs = 3000;
    for (int it = 0; it < runs; it++) {
        char text[1200];
        size_t len = 0, cuts[64];
        int ncut = 0;
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        int np = (int)(x % 30);
        for (int k = 0; k < np; k++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            const char *piece = pieces[x % (sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(piece);
            if (len + l >= sizeof text) break;
            memcpy(text + len, piece, l);
            len += l;
            if ((x >> 8) % 3 == 0 && ncut < 64) cuts[ncut++] = len;
        }
        text[len] = '\0';
        pii_match m[128];
        size_t n = pii_scan(&all_types, text, len, m, 128);
        pii_buf whole = {0}, streamed = {0}, rel = {0};
        pii_redact_append(&r, &all_types, text, len, m, n < 128 ? n : 128, &whole);
        pii_stream st;
        memset(&st, 0, sizeof st);
        pii_found f;
        memset(&f, 0, sizeof f);
        size_t at = 0;
        for (int c = 0; c <= ncut; c++) {
            size_t e = c < ncut ? cuts[c] : len;
            pii_buf_clear(&rel);
            pii_stream_feed(&st, &all_types, &r, 8192, text + at, e - at, 0, &rel, &f);
            pii_buf_append(&streamed, rel.data ? rel.data : "", rel.len);
            at = e;
        }
        pii_buf_clear(&rel);
        pii_stream_feed(&st, &all_types, &r, 8192, "", 0, 1, &rel, &f);
        pii_buf_append(&streamed, rel.data ? rel.data : "", rel.len);
        if (streamed.len != whole.len || (len > 0 && memcmp(streamed.data, whole.data, len) != 0)) {
            if (mismatches++ < 3) printf("     stream/whole mismatch for \"%s\"\n", text);
        }
        pii_buf_free(&whole);
        pii_buf_free(&streamed);
        pii_buf_free(&rel);
        pii_stream_free(&st);
    }
    CHECK(mismatches == 0, "streamed redaction differs from whole-text redaction in %d of %d random texts", mismatches, runs);
}

/* ----------------------------------------------------------------------------------------- JSON */

static void test_json(void) {
    /* The reader itself is Plugins/common/pab_json.h; this checks the way the plugin uses it. */
    pab_json v;
    pab_json_error err;
    const char *ok = " {\"a\": [1, -2.5e2, true, false, null], \"s\": \"x\\n\\u00e9\\ud83d\\ude00\\\"\", \"o\": {}} ";
    CHECK(pab_json_parse(ok, strlen(ok), PAB_JSON_ALLOW_NUL, &v, &err) == 0, "parse: %s", err.message);
    const pab_json *a = pab_json_get(&v, "a"), *s = pab_json_get(&v, "s");
    CHECK(a != NULL && a->type == PAB_JSON_ARRAY && a->count == 5, "array");
    CHECK(a != NULL && a->items[1].number == -250.0 && !a->items[1].is_integer && a->items[0].is_integer, "numbers");
    CHECK(s != NULL && strcmp(s->str, "x\n\xc3\xa9\xf0\x9f\x98\x80\"") == 0, "escapes and surrogate pairs");
    pab_json_free(&v);
    const char *bad[] = {"{\"a\":1,}", "{\"a\" 1}", "[1 2]", "\"\\x\"", "\"\\ud800\"", "01", "{\"a\":1,\"a\":2}", "tru",
                         "\"a\tb\"", "[1] x", "\"\xff\"", ""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int rc = pab_json_parse(bad[k], strlen(bad[k]), PAB_JSON_ALLOW_NUL, &v, &err);
        CHECK(rc != 0 && err.message[0] != '\0' && err.offset <= strlen(bad[k]), "invalid JSON %zu accepted: %s", k,
              err.message);
    }
    const char *ev = "{\"delta\":{\"type\":\"inner\"},\"type\":\"response.completed\",\"x\":[1,{\"type\":2}]}";
    const char *tv;
    size_t tl;
    CHECK(pii_json_top_level_string(ev, strlen(ev), "type", &tv, &tl) && tl == 18 && memcmp(tv, "response.completed", 18) == 0,
          "top-level type skips nested members");
}

/* ----------------------------------------------------------------------------------------- config */

static int parse_config(const char *json, pii_settings *s, char *err, size_t cap) {
    return pii_settings_parse(json, strlen(json), s, err, cap);
}

static void config_error(const char *json, const char *needle, int line) {
    pii_settings s;
    char err[512] = "";
    int rc = parse_config(json, &s, err, sizeof err);
    check(rc != 0 && strstr(err, needle) != NULL, __FILE__, line, "config %s\n     expected an error containing \"%s\", got: \"%s\"",
          json, needle, rc == 0 ? "(accepted)" : err);
    if (rc == 0) pii_settings_free(&s);
}

static void test_config(void) {
    pii_settings s;
    char err[512];
    CHECK(parse_config("{}", &s, err, sizeof err) == 0, "empty config: %s", err);
    CHECK(s.action == PII_ACTION_REDACT && s.detect.types == PII_ALL_BUILTIN_TYPES && !s.pci_mode && s.scan_request &&
              s.scan_response && s.include_metadata && s.hold_back_max == 8192 && s.redaction.style == PII_STYLE_LABEL &&
              strcmp(s.redaction.label_format, "[{TYPE}]") == 0 && s.block_message == NULL,
          "defaults");
    pii_settings_free(&s);
    const char *full = "{\"action\":\"block\",\"block_message\":\"no: {TYPES}\",\"detect_patterns\":[{\"name\":\"EMP\","
                       "\"pattern\":\"EMP-######\"}],\"entities\":[\"EMAIL_ADDRESS\",\"SECRETS\"],\"healthcare_mode\":false,"
                       "\"hold_back_max\":1024,\"pci_mode\":true,\"redaction\":{\"custom_markers\":{\"EMP\":\"[E]\","
                       "\"EMAIL_ADDRESS\":\"[M]\"},\"include_metadata\":false,\"label_format\":\"<{TYPE}>\",\"style\":"
                       "\"partial\"},\"scan_request\":false,\"scan_response\":true}";
    CHECK(parse_config(full, &s, err, sizeof err) == 0, "full config: %s", err);
    CHECK(s.action == PII_ACTION_BLOCK && s.pci_mode && !s.scan_request && !s.include_metadata && s.hold_back_max == 1024,
          "full config flags");
    CHECK(s.detect.types == (PII_TYPE_BIT(PII_EMAIL_ADDRESS) | PII_SECRET_TYPES | PII_TYPE_BIT(PII_CREDIT_CARD)),
          "entities + pci_mode adds cards");
    CHECK(s.detect.pattern_count == 1 && s.redaction.marker[PII_TYPE_CUSTOM_BASE] != NULL &&
              strcmp(s.redaction.marker[PII_TYPE_CUSTOM_BASE], "[E]") == 0 && strcmp(s.redaction.marker[0], "[M]") == 0,
          "patterns and markers");
    CHECK(s.redaction.style == PII_STYLE_PARTIAL && strcmp(s.redaction.label_format, "<{TYPE}>") == 0, "style");
    CHECK(strcmp(s.block_message, "no: {TYPES}") == 0, "block message");
    pii_settings_free(&s);
    CHECK(parse_config("{\"redaction\":{\"marker_format\":\"asterisk\"}}", &s, err, sizeof err) == 0 &&
              s.redaction.style == PII_STYLE_ASTERISK,
          "marker_format is an alias of style");
    pii_settings_free(&s);
    CHECK(parse_config("{\"redaction\":{\"preserve_length\":true}}", &s, err, sizeof err) == 0 &&
              s.redaction.style == PII_STYLE_PRESERVE_LENGTH,
          "preserve_length: true");
    pii_settings_free(&s);

    config_error("{\"actoin\":\"block\"}", "unknown config key `actoin`", __LINE__);
    config_error("{\"redaction\":{\"styel\":\"label\"}}", "unknown config key `redaction.styel`", __LINE__);
    config_error("{\"detect_patterns\":[{\"name\":\"A\",\"pattern\":\"A-###\",\"regex\":\"x\"}]}",
                 "unknown config key `detect_patterns[0].regex`", __LINE__);
    config_error("{\"action\":\"warn\"}", "config key `action`: expected \"redact\" or \"block\"", __LINE__);
    config_error("{\"action\":1}", "config key `action`: expected a string, got a number", __LINE__);
    config_error("{\"entities\":[\"EMAIL\"]}", "config key `entities[0]`: unknown entity \"EMAIL\"", __LINE__);
    config_error("{\"entities\":\"EMAIL_ADDRESS\"}", "config key `entities`: expected an array", __LINE__);
    config_error("{\"entities\":[]}", "nothing would be detected", __LINE__);
    config_error("{\"pci_mode\":\"yes\"}", "config key `pci_mode`: expected a boolean", __LINE__);
    config_error("{\"redaction\":{\"style\":\"blur\"}}", "config key `redaction.style`: expected one of", __LINE__);
    config_error("{\"redaction\":{\"style\":\"label\",\"marker_format\":\"partial\"}}", "`redaction.marker_format`", __LINE__);
    config_error("{\"redaction\":{\"style\":\"label\",\"preserve_length\":true}}", "`redaction.preserve_length`", __LINE__);
    config_error("{\"redaction\":{\"custom_markers\":{\"NAME\":\"x\"}}}", "`redaction.custom_markers.NAME`: not an entity",
                 __LINE__);
    config_error("{\"redaction\":{\"label_format\":\"\"}}", "`redaction.label_format`", __LINE__);
    config_error("{\"detect_patterns\":[\"EMP-###\"]}", "`detect_patterns[0]`: expected an object", __LINE__);
    config_error("{\"detect_patterns\":[{\"name\":\"EMAIL_ADDRESS\",\"pattern\":\"EMP-###\"}]}",
                 "`detect_patterns[0].name`: is the name of a built-in", __LINE__);
    config_error("{\"detect_patterns\":[{\"name\":\"emp\",\"pattern\":\"EMP-###\"}]}", "`detect_patterns[0].name`", __LINE__);
    config_error("{\"detect_patterns\":[{\"name\":\"E\",\"pattern\":\"##\"}]}", "`detect_patterns[0].pattern`: pattern must",
                 __LINE__);
    config_error("{\"detect_patterns\":[{\"name\":\"E\"}]}", "`detect_patterns[0].pattern`: missing", __LINE__);
    config_error("{\"detect_patterns\":[{\"name\":\"E\",\"pattern\":\"E-###\"},{\"name\":\"E\",\"pattern\":\"F-###\"}]}",
                 "`detect_patterns[1].name`: is used twice", __LINE__);
    config_error("{\"hold_back_max\":10}", "`hold_back_max`: expected an integer", __LINE__);
    config_error("{\"hold_back_max\":100.5}", "`hold_back_max`: expected an integer", __LINE__);
    config_error("{\"healthcare_mode\":true}", "`healthcare_mode`: true is not supported", __LINE__);
    config_error("{\"block_message\":\"\"}", "`block_message`", __LINE__);
    config_error("[1]", "config must be a JSON object", __LINE__);
    config_error("{\"action\":", "config is not valid JSON: offset 10", __LINE__);
}

/* ----------------------------------------------------------------------------------------- ABI glue */
/* ----------------------------------------------------------------------------------------- ABI glue */

static void test_plugin(void) {
    const pab_plugin *p = pab_plugin_entry_v1(&fake_host);
    CHECK(p != NULL && strcmp(p->name, "pii-detector") == 0, "entry returns the descriptor");
    if (p == NULL) return;
    CHECK(p->capabilities ==
              (PAB_CAP_MUTATES_REQUEST | PAB_CAP_MUTATES_RESPONSE | PAB_CAP_EXTENDED_SEGMENTS | TEST_CAP_INLINE_SAFE),
          "capabilities");
    pab_host_api old = fake_host;
    old.abi_major = 2;
    CHECK(pab_plugin_entry_v1(&old) == NULL, "another ABI major is refused");

    /* create errors reach the host */
    {
        const char *bad = "{\"mode\":\"x\"}";
        pab_create_args a = {sizeof a, &fake_host, NULL, {(const uint8_t *)"pii", 3}, {(const uint8_t *)bad, strlen(bad)}};
        pab_instance *inst = NULL;
        char err[256] = "";
        CHECK(p->create(&a, &inst, err, sizeof err) == PAB_ERR_FAILED && strstr(err, "unknown config key `mode`"),
              "create fails on unknown key: %s", err);
    }

    /* request redaction */
    pab_instance *inst = make(p, "{}");
    pab_exchange *ex = NULL;
    pab_call c;
    memset(&c, 0, sizeof c);
    CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK && ex != NULL, "exchange_begin");
    c.nseg = 3;
    c.segs[0] = (fake_seg){PAB_SEGMENT_MESSAGE, 0, 0, "You are terse."};
    c.segs[1] = (fake_seg){PAB_SEGMENT_MESSAGE, 1, 0, "mail a@b.co and c@d.co, card 4111 1111 1111 1111"};
    c.segs[2] = (fake_seg){PAB_SEGMENT_INPUT, 2, 0, "ssn 123-45-6789"};
    pab_request rq;
    memset(&rq, 0, sizeof rq);
    rq.struct_size = sizeof rq;
    rq.api = PAB_API_CHAT_COMPLETIONS;
    pab_verdict v = p->on_request(inst, ex, &c, &rq);
    CHECK(v == PAB_VERDICT_MUTATE, "request redacted: verdict %u", v);
    CHECK(strcmp(c.segs[0].text, "You are terse.") == 0, "untouched segment");
    CHECK(strcmp(c.segs[1].text, "mail [EMAIL_ADDRESS] and [EMAIL_ADDRESS], card [CREDIT_CARD]") == 0, "seg 1: %s", c.segs[1].text);
    CHECK(strcmp(c.segs[2].text, "ssn [US_SSN]") == 0, "seg 2: %s", c.segs[2].text);
    CHECK(c.replaced == 2, "only changed segments are replaced");
    CHECK(strcmp(tag(&c, "EMAIL_ADDRESS"), "2") == 0 && strcmp(tag(&c, "CREDIT_CARD"), "1") == 0 &&
              strcmp(tag(&c, "US_SSN"), "1") == 0 && strcmp(tag(&c, "action"), "redacted") == 0,
          "tags: types and counts");
    for (uint32_t i = 0; i < c.ntags; i++) CHECK(strchr(c.tags[i][1], '@') == NULL, "no value in tags");

    /* response in the same exchange: counts accumulate */
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_OUTPUT, 0, 0, "Sure, e@f.co noted."};
    pab_response rs;
    memset(&rs, 0, sizeof rs);
    rs.struct_size = sizeof rs;
    rs.http_status = 200;
    CHECK(p->on_response(inst, ex, &c, &rs) == PAB_VERDICT_MUTATE && strcmp(c.segs[0].text, "Sure, [EMAIL_ADDRESS] noted.") == 0,
          "response redacted: %s", c.segs[0].text);
    CHECK(strcmp(tag(&c, "EMAIL_ADDRESS"), "3") == 0, "tag counts the whole exchange: %s", tag(&c, "EMAIL_ADDRESS"));
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_OUTPUT, 0, 0, "Nothing personal here."};
    CHECK(p->on_response(inst, ex, &c, &rs) == PAB_VERDICT_ALLOW && c.replaced == 0 && c.ntags == 0, "clean response allowed");
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);

    /* chat stream: deltas, then [DONE] releases the held text through insert_delta */
    CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK, "exchange_begin");
    const char *deltas[] = {"Your card 4111 1111", " 1111 1111 is on file, mail ", "bob@example.com"};
    char client[1024] = "";
    for (int k = 0; k < 3; k++) {
        memset(&c, 0, sizeof c);
        c.nseg = 1;
        c.segs[0] = (fake_seg){PAB_SEGMENT_DELTA, 0, 0, ""};
        snprintf(c.segs[0].text, sizeof c.segs[0].text, "%s", deltas[k]);
        pab_stream_chunk ck = chunk("", "{\"choices\":[{\"delta\":{\"content\":\"...\"}}]}");
        v = p->on_stream_chunk(inst, ex, &c, &ck);
        CHECK(v == PAB_VERDICT_MUTATE || v == PAB_VERDICT_ALLOW, "delta verdict %u", v);
        strcat(client, c.segs[0].text);
    }
    memset(&c, 0, sizeof c);
    pab_stream_chunk done = chunk("", "[DONE]");
    v = p->on_stream_chunk(inst, ex, &c, &done);
    CHECK(v == PAB_VERDICT_ALLOW && c.ninserted == 1, "[DONE] inserts the held text: verdict %u, %u inserts", v, c.ninserted);
    strcat(client, c.inserted[0]);
    CHECK(strcmp(client, "Your card [CREDIT_CARD] is on file, mail [EMAIL_ADDRESS]") == 0, "client reads: %s", client);
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);

    /* a chat finish_reason chunk releases that choice's held text before it */
    CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK, "exchange_begin");
    memset(&c, 0, sizeof c);
    c.nseg = 2;
    c.segs[0] = (fake_seg){PAB_SEGMENT_DELTA, 0, 0, "call +1 415 555"};
    c.segs[1] = (fake_seg){PAB_SEGMENT_DELTA, 1, 0, "see you"};
    pab_stream_chunk f1 = chunk("", "{\"choices\":[{\"index\":0,\"delta\":{}},{\"index\":1,\"delta\":{}}]}");
    p->on_stream_chunk(inst, ex, &c, &f1);
    CHECK(strcmp(c.segs[0].text, "call ") == 0 && strcmp(c.segs[1].text, "see ") == 0, "held: %s / %s", c.segs[0].text,
          c.segs[1].text);
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_DELTA, 0, 0, " 0132"};
    pab_stream_chunk f2 = chunk("", "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" 0132\"},\"finish_reason\":\"stop\"},"
                                    "{\"index\":1,\"delta\":{},\"finish_reason\":null}]}");
    p->on_stream_chunk(inst, ex, &c, &f2);
    CHECK(strcmp(c.segs[0].text, "[PHONE_NUMBER]") == 0 && c.ninserted == 0,
          "content with finish_reason: released in the same event: %s", c.segs[0].text);
    memset(&c, 0, sizeof c);
    pab_stream_chunk f3 = chunk("", "{\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"length\"}]}");
    p->on_stream_chunk(inst, ex, &c, &f3);
    CHECK(c.ninserted == 1 && c.inserted_item[0] == 1 && strcmp(c.inserted[0], "you") == 0,
          "finish_reason chunk: held text inserted before it");
    memset(&c, 0, sizeof c);
    CHECK(p->on_stream_chunk(inst, ex, &c, &done) == PAB_VERDICT_ALLOW && c.ninserted == 0, "nothing left at [DONE]");
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);

    /* Responses stream: output_text.done carries the full text as an OUTPUT segment */
    CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK, "exchange_begin");
    const char *rdeltas[] = {"Reach me at +44 20 7123", " 4567 thanks"};
    const char *rwant[] = {"Reach me at ", "[PHONE_NUMBER] "};
    for (int k = 0; k < 2; k++) {
        memset(&c, 0, sizeof c);
        c.nseg = 1;
        c.segs[0] = (fake_seg){PAB_SEGMENT_DELTA, 0, 0, ""};
        snprintf(c.segs[0].text, sizeof c.segs[0].text, "%s", rdeltas[k]);
        pab_stream_chunk ck = chunk("response.output_text.delta", "{\"type\":\"response.output_text.delta\"}");
        v = p->on_stream_chunk(inst, ex, &c, &ck);
        CHECK(v == PAB_VERDICT_MUTATE && strcmp(c.segs[0].text, rwant[k]) == 0, "responses delta %d: %s", k, c.segs[0].text);
    }
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_OUTPUT, 0, 0, "Reach me at +44 20 7123 4567 thanks"};
    pab_stream_chunk fin = chunk("", "{\"type\":\"response.output_text.done\",\"text\":\"...\"}");
    v = p->on_stream_chunk(inst, ex, &c, &fin);
    CHECK(v == PAB_VERDICT_MUTATE && strcmp(c.segs[0].text, "Reach me at [PHONE_NUMBER] thanks") == 0,
          "output_text.done text redacted: %s", c.segs[0].text);
    CHECK(c.ninserted == 1 && strcmp(c.inserted[0], "thanks") == 0, "held word released before output_text.done");
    memset(&c, 0, sizeof c);
    pab_stream_chunk completed = chunk("response.completed", "{}");
    CHECK(p->on_stream_chunk(inst, ex, &c, &completed) == PAB_VERDICT_ALLOW && c.ninserted == 0, "nothing left to release");
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);

    /* is_final marks any terminal event (here an "error" event the plugin does not know by name) */
    CHECK(p->exchange_begin(inst, &c, &ex) == PAB_OK, "exchange_begin");
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_DELTA, 1, 0, "write to jo"};
    pab_stream_chunk e1 = chunk("", "{\"choices\":[]}");
    p->on_stream_chunk(inst, ex, &c, &e1);
    CHECK(strcmp(c.segs[0].text, "write to ") == 0, "last word held: %s", c.segs[0].text);
    memset(&c, 0, sizeof c);
    pab_stream_chunk e2 = chunk("error", "{\"type\":\"error\"}");
    e2.is_final = 1;
    CHECK(p->on_stream_chunk(inst, ex, &c, &e2) == PAB_VERDICT_ALLOW && c.ninserted == 1 && c.inserted_item[0] == 1 &&
              strcmp(c.inserted[0], "jo") == 0,
          "is_final releases held text into its choice");
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);
    p->destroy(inst);

    /* block mode, pci_mode, scan flags */
    inst = make(p, "{\"action\":\"block\"}");
    p->exchange_begin(inst, &c, &ex);
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_MESSAGE, 0, 0, "mail a@b.co, ssn 123-45-6789"};
    v = p->on_request(inst, ex, &c, &rq);
    CHECK(v == PAB_VERDICT_DENY && c.deny_status == 409 && strcmp(c.deny_code, "input_blocked") == 0 &&
              strcmp(c.deny_message, "Request blocked: contains personal data (EMAIL_ADDRESS, US_SSN)") == 0,
          "block: %u %s %s", v, c.deny_code, c.deny_message);
    CHECK(c.replaced == 0 && strcmp(tag(&c, "action"), "blocked") == 0, "blocked requests are not rewritten");
    p->exchange_end(inst, ex, &c, PAB_END_DENIED);
    p->exchange_begin(inst, &c, &ex);
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_DELTA, 0, 0, "the key is AKIAIOSFODNN7EXAMPLE. "};
    pab_stream_chunk d3 = chunk("", "{}");
    v = p->on_stream_chunk(inst, ex, &c, &d3);
    CHECK(v == PAB_VERDICT_DENY && strcmp(c.deny_code, "output_blocked") == 0 &&
              strcmp(c.deny_message, "Response blocked: contains personal data (AWS_ACCESS_KEY_ID)") == 0,
          "stream block: %u %s", v, c.deny_message);
    p->exchange_end(inst, ex, &c, PAB_END_DENIED);
    p->destroy(inst);

    inst = make(p, "{\"pci_mode\":true,\"block_message\":\"PCI: {TYPES} refused\"}");
    p->exchange_begin(inst, &c, &ex);
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_MESSAGE, 0, 0, "a@b.co"};
    CHECK(p->on_request(inst, ex, &c, &rq) == PAB_VERDICT_MUTATE, "pci_mode still redacts other types");
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_MESSAGE, 0, 0, "a@b.co 4111111111111111"};
    CHECK(p->on_request(inst, ex, &c, &rq) == PAB_VERDICT_DENY &&
              strcmp(c.deny_message, "PCI: EMAIL_ADDRESS, CREDIT_CARD refused") == 0,
          "pci_mode blocks cards: %s", c.deny_message);
    p->exchange_end(inst, ex, &c, PAB_END_DENIED);
    p->destroy(inst);

    inst = make(p, "{\"scan_request\":false,\"redaction\":{\"include_metadata\":false}}");
    p->exchange_begin(inst, &c, &ex);
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_MESSAGE, 0, 0, "a@b.co"};
    CHECK(p->on_request(inst, ex, &c, &rq) == PAB_VERDICT_ALLOW && c.replaced == 0, "scan_request: false");
    memset(&c, 0, sizeof c);
    c.nseg = 1;
    c.segs[0] = (fake_seg){PAB_SEGMENT_OUTPUT, 0, 0, "a@b.co"};
    CHECK(p->on_response(inst, ex, &c, &rs) == PAB_VERDICT_MUTATE && c.ntags == 0, "include_metadata: false sets no tags");
    p->exchange_end(inst, ex, &c, PAB_END_COMPLETED);
    p->destroy(inst);
    CHECK(ncounters > 4 && counters[0] > 0, "counters defined and counted");
}

int main(void) {
    test_email();
    test_phone();
    test_card();
    test_iban();
    test_ssn();
    test_ip();
    test_secrets();
    test_entity_selection();
    test_patterns();
    test_redaction();
    test_stream();
    test_stream_property();
    test_json();
    test_config();
    test_plugin();
    test_extended_segments();
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
