package dev.provisioning.mapping.expression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every function with Microsoft's documented examples (functions-for-customizing-application-data) as test vectors:
 * expression, source attributes, expected result (compared by its string form, {@code null} for no value).
 */
class FunctionsTest {

    /** 7/2/2021 3:33:38 PM UTC, the documented example value of Now(). */
    static final Clock CLOCK = Clock.fixed(Instant.parse("2021-07-02T15:33:38Z"), ZoneOffset.UTC);

    static Stream<Arguments> documentedExamples() {
        return Stream.of(
                // Append
                arguments("Append([userPrincipalName], \".test\")", attrs("userPrincipalName", "John.Doe@contoso.com"),
                        "John.Doe@contoso.com.test"),
                // BitAnd: 0xF & 0xF7 = 7
                arguments("BitAnd(&HF, &HF7)", attrs(), "7"),
                // CBool
                arguments("CBool([attribute1] = [attribute2])", attrs("attribute1", "x", "attribute2", "x"), "True"),
                arguments("CBool([attribute1] = [attribute2])", attrs("attribute1", "x", "attribute2", "y"), "False"),
                // CDate: the UTC equivalent, M/d/yyyy h:mm:ss tt
                arguments("CDate([StatusHireDate])", attrs("StatusHireDate", "2020-03-16-07:00"),
                        "3/16/2020 7:00:00 AM"),
                arguments("CDate(\"2021-06-30+08:00\")", attrs(), "6/29/2021 4:00:00 PM"),
                arguments("CDate(\"2009-06-15T01:45:30-07:00\")", attrs(), "6/15/2009 8:45:30 AM"),
                // Coalesce
                arguments("Coalesce([mail],[userPrincipalName])", attrs("userPrincipalName", "John.Doe@contoso.com"),
                        "John.Doe@contoso.com"),
                // ConvertToBase64 (UTF-16LE, as .NET's Unicode)
                arguments("ConvertToBase64(\"Hello world!\")", attrs(), "SABlAGwAbABvACAAdwBvAHIAbABkACEA"),
                // ConvertToUTF8Hex
                arguments("ConvertToUTF8Hex(\"Hello world!\")", attrs(), "48656C6C6F20776F726C6421"),
                // Count
                arguments("Count([proxyAddresses])",
                        attrs("proxyAddresses", List.of("SMTP:a@x", "smtp:b@x", "smtp:c@x")),
                        "3"),
                // CStr
                arguments("CStr([dn])", attrs("dn", "cn=Joe,dc=contoso,dc=com"), "cn=Joe,dc=contoso,dc=com"),
                // DateAdd, the documented table
                arguments("DateAdd(\"d\", 7, CDate([StatusHireDate]))", attrs("StatusHireDate", "2012-03-16-07:00"),
                        "3/23/2012 7:00:00 AM"),
                arguments("DateAdd(\"d\", -10, CDate([StatusHireDate]))", attrs("StatusHireDate", "2012-03-16-07:00"),
                        "3/6/2012 7:00:00 AM"),
                arguments("DateAdd(\"ww\", 2, CDate([StatusHireDate]))", attrs("StatusHireDate", "2012-03-16-07:00"),
                        "3/30/2012 7:00:00 AM"),
                arguments("DateAdd(\"m\", 10, CDate([StatusHireDate]))", attrs("StatusHireDate", "2012-03-16-07:00"),
                        "1/16/2013 7:00:00 AM"),
                arguments("DateAdd(\"yyyy\", 2, CDate([StatusHireDate]))", attrs("StatusHireDate", "2012-03-16-07:00"),
                        "3/16/2014 7:00:00 AM"),
                // DateDiff, the documented table
                dateDiff("d", "2021-08-18+08:00", "2021-08-31+08:00", "13"),
                dateDiff("d", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", "-3449"),
                dateDiff("ww", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", "-493"),
                dateDiff("m", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", "-113"),
                dateDiff("yyyy", "8/25/2021 5:41:18 PM", "2012-03-16-07:00", "-9"),
                dateDiff("d", "2021-08-31+08:00", "2021-08-31+08:00", "0"),
                dateDiff("h", "2021-08-24", "2021-08-25", "24"),
                dateDiff("n", "2021-08-24", "2021-08-25", "1440"),
                dateDiff("s", "2021-08-24", "2021-08-25", "86400"),
                // DateDiff example 2, with Now() = 7/2/2021 3:33:38 PM
                arguments(
                        "Switch([Active], , \"1\", IIF(DateDiff(\"d\", Now(), CDate([StatusHireDate])) > 5, \"False\", \"True\"), \"0\", \"False\")",
                        attrs("Active", "1", "StatusHireDate", "2021-07-30-07:00"), "False"),
                arguments(
                        "Switch([Active], , \"1\", IIF(DateDiff(\"d\", Now(), CDate([StatusHireDate])) > 5, \"False\", \"True\"), \"0\", \"False\")",
                        attrs("Active", "1", "StatusHireDate", "2021-07-04-07:00"), "True"),
                // DateFromNum: January 1, 2012 at 11:00 PM
                arguments("DateFromNum(129699324000000000)", attrs(), "1/1/2012 11:00:00 PM"),
                arguments("DateFromNum([lastLogonTimestamp])", attrs("lastLogonTimestamp", 129699324000000000L),
                        "1/1/2012 11:00:00 PM"),
                // FormatDateTime
                arguments("FormatDateTime([extensionAttribute1], , \"yyyyMMddHHmmss.fZ\", \"yyyy-MM-dd\")",
                        attrs("extensionAttribute1", "20150123105347.1Z"), "2015-01-23"),
                // IgnoreFlowIfNullOrEmpty
                arguments("IgnoreFlowIfNullOrEmpty([department])", attrs(), "IGNORE"),
                arguments("IgnoreFlowIfNullOrEmpty([department])", attrs("department", ""), "IGNORE"),
                arguments("IgnoreFlowIfNullOrEmpty([department])", attrs("department", "Sales"), "Sales"),
                arguments(
                        "IgnoreFlowIfNullOrEmpty(Switch([prefix], \"\", \"3443\", \"Dr.\", \"3444\", \"Prof.\", \"3445\", \"Prof. Dr.\"))",
                        attrs("prefix", "9999"), "IGNORE"),
                arguments(
                        "IgnoreFlowIfNullOrEmpty(Switch([prefix], \"\", \"3443\", \"Dr.\", \"3444\", \"Prof.\", \"3445\", \"Prof. Dr.\"))",
                        attrs("prefix", "3444"), "Prof."),
                // IIF, with the AND / OR patterns and the Switch workaround for empty values
                arguments("IIF([country]=\"USA\",[country],[department])",
                        attrs("country", "USA", "department", "Sales"),
                        "USA"),
                arguments("IIF([country]=\"USA\",[country],[department])",
                        attrs("country", "FR", "department", "Sales"),
                        "Sales"),
                arguments("IIF([country]=\"USA\",IIF([state]=\"CA\",\"True\",\"False\"),\"False\")",
                        attrs("country", "USA", "state", "CA"), "True"),
                arguments("IIF([country]=\"USA\",IIF([state]=\"CA\",\"True\",\"False\"),\"False\")",
                        attrs("country", "USA", "state", "WA"), "False"),
                arguments("IIF([country]=\"USA\",\"True\",IIF([state]=\"CA\",\"True\",\"False\"))",
                        attrs("country", "FR", "state", "CA"), "True"),
                arguments("Switch([country],[country],\"\",\"Other\")", attrs(), "Other"),
                arguments("Switch([country],[country],\"\",\"Other\")", attrs("country", "FR"), "FR"),
                // InStr
                arguments("InStr(\"The quick brown fox\",\"quick\")", attrs(), "5"),
                arguments("InStr(\"repEated\",\"e\",3,vbBinaryCompare)", attrs(), "7"),
                arguments("InStr(\"repEated\",\"e\",3,vbTextCompare)", attrs(), "4"),
                arguments("InStr(\"abc\",\"z\")", attrs(), "0"),
                // IsNull, IsNullOrEmpty, IsPresent, IsString
                arguments("IsNull([displayName])", attrs(), "True"),
                arguments("IsNull([displayName])", attrs("displayName", ""), "False"),
                arguments("IsNullOrEmpty([displayName])", attrs("displayName", ""), "True"),
                arguments("IsNullOrEmpty([displayName])", attrs("displayName", "x"), "False"),
                arguments("IsPresent([directManager])", attrs("directManager", "m1"), "True"),
                arguments("IsPresent([directManager])", attrs("directManager", ""), "False"),
                arguments("IsString([displayName])", attrs("displayName", "x"), "True"),
                arguments("IsString([employeeCount])", attrs("employeeCount", 12L), "False"),
                // Item: 1-based
                arguments("Item([proxyAddresses], 1)", attrs("proxyAddresses", List.of("SMTP:a@x", "smtp:b@x")),
                        "SMTP:a@x"),
                arguments("Item([proxyAddresses], 3)", attrs("proxyAddresses", List.of("SMTP:a@x", "smtp:b@x")), null),
                // Join: empty values are left out, multi-valued values are joined item by item
                arguments("Join(\", \", \"\", [surname], [givenName])", attrs("givenName", "John", "surname", "Doe"),
                        "Doe, John"),
                arguments("Join(\";\", [proxyAddresses], [mail])",
                        attrs("proxyAddresses", List.of("a", "b"), "mail", "c"),
                        "a;b;c"),
                // Left
                arguments("Left(\"John Doe\", 3)", attrs(), "Joh"),
                arguments("Left(\"John Doe\", 0)", attrs(), ""),
                arguments("Left(\"John Doe\", -1)", attrs(), "John Doe"),
                arguments("Left([missing], 3)", attrs(), ""),
                arguments("Left(\"Jo\", 3)", attrs(), "Jo"),
                // Mid, in the documented alias example
                arguments("Append(Mid([givenName], 1, 3), Mid([surname], 1, 5))",
                        attrs("givenName", "John", "surname", "Doe"),
                        "JohDoe"),
                arguments("Mid(\"abcdef\", 3, 100)", attrs(), "cdef"),
                // NormalizeDiacritics, with letters of the documented table
                arguments("NormalizeDiacritics([givenName])", attrs("givenName", "Zoë"), "Zoe"),
                arguments("NormalizeDiacritics(\"ÆrøskØbing Straße Łódź İstanbul ǢČ\")", attrs(),
                        "AEroeskOEbing Strasse Lodz Istanbul AEC"),
                // Not
                arguments("Not(\"True\")", attrs(), "False"),
                arguments("Not(\"False\")", attrs(), "True"),
                arguments("Not([accountEnabled])", attrs("accountEnabled", true), "False"),
                // Now: the documented example value
                arguments("Now()", attrs(), "7/2/2021 3:33:38 PM"),
                // NumFromDate: the Workday and SuccessFactors examples (2020-12-31 23:59:59-08:00 as a file time)
                arguments(
                        "NumFromDate(Join(\"\", FormatDateTime([ContractEndDate], ,\"yyyy-MM-ddzzz\", \"yyyy-MM-dd\"), \" 23:59:59-08:00\"))",
                        attrs("ContractEndDate", "2020-12-31-08:00"), "132539615990000000"),
                arguments(
                        "NumFromDate(Join(\"\",FormatDateTime([endDate], ,\"M/d/yyyy hh:mm:ss tt\",\"yyyy-MM-dd\"),\" 23:59:59-08:00\"))",
                        attrs("endDate", "12/31/2020 10:30:00 AM"), "132539615990000000"),
                // PCase, the documented table
                arguments("PCase([firstName])", attrs("firstName", "PABLO GONSALVES (SECOND)"),
                        "Pablo Gonsalves (Second)"),
                arguments("PCase([lastName],\" '-\")", attrs("lastName", "PINTO-DE'SILVA"), "Pinto-De'Silva"),
                arguments("PCase(Join(\" \",[firstName],[lastName]))",
                        attrs("firstName", "GREGORY", "lastName", "JAMES"),
                        "Gregory James"),
                // Redact: the value flows; the log redaction is the caller's (CompiledJob.redactedTargets)
                arguments("Redact([userPrincipalName])", attrs("userPrincipalName", "a@b.c"), "a@b.c"),
                arguments("Redact(\"StringToBeRedacted\")", attrs(), "StringToBeRedacted"),
                // RemoveDuplicates
                arguments("RemoveDuplicates([proxyAddresses])",
                        attrs("proxyAddresses", List.of("a", "b", "a", "c", "b")),
                        "a,b,c"),
                // Replace, examples 1 to 6 and the domain example
                arguments("Replace([BusinessTitle],\"Product Developer\", , , \"Software Engineer\", , )",
                        attrs("BusinessTitle", "Product Developer"), "Software Engineer"),
                arguments("Replace([UserID],\"<username>\", , , , , \"<username>@contoso.com\")",
                        attrs("UserID", "jsmith"),
                        "jsmith@contoso.com"),
                arguments(
                        "Replace([telephoneNumber], , \"\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})\", , \"${phoneNumber}\", , )",
                        attrs("telephoneNumber", "+91 9998887777"), "9998887777"),
                // Microsoft shows 19998887777, but "+" is not in the class [()\s-]: the pattern keeps it.
                arguments("Replace([mobile], , \"[()\\\\s-]+\", , \"\", , )", attrs("mobile", "+1 (999) 888-7777"),
                        "+19998887777"),
                arguments("Replace([AddressLineData], ,\"(?<streetNumber>^\\\\d*)\",\"streetNumber\", \"888\", , )",
                        attrs("AddressLineData", "545 Tremont Street"), "888 Tremont Street"),
                arguments("Replace([userPrincipalName], , \"(?<Suffix>@(.)*)\", \"Suffix\", \"\", , )",
                        attrs("userPrincipalName", "jsmith@contoso.com"), "jsmith"),
                arguments(
                        "Replace([telephoneNumber], , \"\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})\", \"phoneNumber\" , , [mobile], )",
                        attrs("telephoneNumber", "", "mobile", "+91 8887779999"), "8887779999"),
                arguments(
                        "Replace([telephoneNumber], , \"\\\\+(?<isdCode>\\\\d* )(?<phoneNumber>\\\\d{10})\", \"phoneNumber\" , , [mobile], )",
                        attrs("telephoneNumber", "+91 1112223333", "mobile", "+91 8887779999"), "+91 1112223333"),
                arguments("Replace([mailNickname], , \"[a-zA-Z_]*\", , \"\", , )", attrs("mailNickname", "john_doe72"),
                        "72"),
                arguments("Replace([mail], \"@contoso.com\", , ,\"\", ,)", attrs("mail", "john.doe@contoso.com"),
                        "john.doe"),
                // SingleAppRoleAssignment / AppRoleAssignmentsComplex over the assigned role ids
                arguments("SingleAppRoleAssignment([appRoleAssignments])",
                        attrs("appRoleAssignments", List.of("Admin")),
                        "Admin"),
                // Split: the documented output has no leading space
                arguments("Split([extensionAttribute5], \",\")",
                        attrs("extensionAttribute5", "PermissionSetOne, PermissionSetTwo"),
                        "PermissionSetOne,PermissionSetTwo"),
                // StripSpaces
                arguments("StripSpaces(\" John  Smith \")", attrs(), "JohnSmith"),
                // Switch
                arguments(
                        "Switch([state], \"Australia/Sydney\", \"NSW\", \"Australia/Sydney\",\"QLD\", \"Australia/Brisbane\", \"SA\", \"Australia/Adelaide\")",
                        attrs("state", "QLD"), "Australia/Brisbane"),
                arguments(
                        "Switch([state], \"Australia/Sydney\", \"NSW\", \"Australia/Sydney\",\"QLD\", \"Australia/Brisbane\", \"SA\", \"Australia/Adelaide\")",
                        attrs("state", "WA"), "Australia/Sydney"),
                arguments("Switch(ToLower([statusFlag]), \"0\", \"true\", \"1\", \"false\", \"0\")",
                        attrs("statusFlag", "TRUE"),
                        "1"),
                arguments("Switch([statusFlag], \"Default Value\", \"true\", \"1\", \"\", \"0\")", attrs(), "0"),
                arguments("Switch([statusFlag], \"Default Value\", \"true\", \"1\", \"\", \"0\")",
                        attrs("statusFlag", "x"),
                        "Default Value"),
                arguments("Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")",
                        attrs("IsSoftDeleted", true),
                        "False"),
                arguments("Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")",
                        attrs("IsSoftDeleted", false),
                        "True"),
                arguments("Switch([x], , \"a\", \"b\")", attrs("x", "z"), null),
                // ToLower / ToUpper
                arguments(
                        "ToLower(Join(\"@\", NormalizeDiacritics(StripSpaces(Join(\".\",  [PreferredFirstName], [PreferredLastName]))), \"contoso.com\"))",
                        attrs("PreferredFirstName", "John", "PreferredLastName", "Smith"), "john.smith@contoso.com"),
                arguments("ToUpper([x])", attrs("x", "john"), "JOHN"),
                arguments("ToUpper([x], \"tr-TR\")", attrs("x", "istanbul"), "İSTANBUL"),
                arguments("ToLower([x], \"en-US\")", attrs("x", "ISTANBUL"), "istanbul"),
                // Word
                arguments("Word(\"The quick brown fox\",3,\" \")", attrs(), "brown"),
                arguments("Word(\"This,string!has&many separators\",3,\",!&#\")", attrs(), "has"),
                arguments("Word(\"The quick\",5,\" \")", attrs(), ""),
                arguments("Word(\"The quick\",0,\" \")", attrs(), ""));
    }

    @ParameterizedTest(name = "{0} with {1} = {2}")
    @MethodSource("documentedExamples")
    void documentedExampleGivesDocumentedOutput(String expression, Map<String, Object> attributes, String expected) {
        Object result = Expression.parse(expression).evaluate(context(attributes));

        assertThat(result == Expression.IGNORE ? "IGNORE" : Values.str(result)).isEqualTo(expected);
    }

    @Test
    void guidIsARandomVersion4Guid() {
        String guid = (String) Expression.parse("Guid()").evaluate(context(attrs()));

        assertThat(guid).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(Expression.parse("Guid()").evaluate(context(attrs()))).isNotEqualTo(guid);
    }

    @Test
    void randomStringHonoursTheMinimumsOfExample1() {
        for (int i = 0; i < 50; i++) {
            String s = (String) Expression.parse("RandomString(6,3,0,0,3)").evaluate(context(attrs()));
            assertThat(s).hasSize(6);
            assertThat(s.chars().filter(Character::isDigit).count()).isGreaterThanOrEqualTo(3);
            assertThat(s.chars().filter(Character::isLowerCase).count()).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void randomStringHonoursTheMinimumsAndAvoidedCharactersOfExample2() {
        for (int i = 0; i < 50; i++) {
            String s = (String) Expression.parse("RandomString(10,2,2,2,1,\"?,\")").evaluate(context(attrs()));
            assertThat(s).hasSize(10).doesNotContain("?", ",");
            assertThat(s.chars().filter(Character::isDigit).count()).isGreaterThanOrEqualTo(2);
            assertThat(s.chars().filter(Character::isUpperCase).count()).isGreaterThanOrEqualTo(2);
            assertThat(s.chars().filter(Character::isLowerCase).count()).isGreaterThanOrEqualTo(1);
            assertThat(s.chars().filter(c -> !Character.isLetterOrDigit(c)).count()).isGreaterThanOrEqualTo(2);
        }
    }

    @Test
    void appRoleAssignmentsComplexGivesScimRoles() {
        Object roles = Expression.parse("AppRoleAssignmentsComplex([appRoleAssignments])")
                .evaluate(context(attrs("appRoleAssignments", List.of("r1", "r2"))));

        assertThat(roles).asList().containsExactly(
                Map.of("primary", false, "type", "WindowsAzureActiveDirectoryRole", "display", "r1", "value", "r1"),
                Map.of("primary", false, "type", "WindowsAzureActiveDirectoryRole", "display", "r2", "value", "r2"));
    }

    /**
     * The roles as the app defines them: Entra provisions the role's value (customize-application-attributes.md,
     * "Provisioning a role to a SCIM app"); a role without a value by its display name, and only a role known by id
     * alone by its id.
     */
    @Test
    void appRoleFunctionsGiveTheRolesValueAndDisplayNameNotItsId() {
        AppRole admin = new AppRole("1111", "Admin", "Administrator");
        AppRole onlyName = new AppRole("2222", null, "Reader");
        AppRole onlyId = new AppRole("3333", null, null);

        assertThat(Expression.parse("SingleAppRoleAssignment([appRoleAssignments])")
                .evaluate(context(attrs("appRoleAssignments", List.of(admin))))).isEqualTo("Admin");
        assertThat(Expression.parse("SingleAppRoleAssignment([appRoleAssignments])")
                .evaluate(context(attrs("appRoleAssignments", List.of(onlyName))))).isEqualTo("Reader");
        assertThat(Expression.parse("SingleAppRoleAssignment([appRoleAssignments])")
                .evaluate(context(attrs("appRoleAssignments", List.of(onlyId))))).isEqualTo("3333");
        for (String f : List.of("AppRoleAssignmentsComplex", "AssertiveAppRoleAssignmentsComplex")) {
            assertThat(Expression.parse(f + "([appRoleAssignments])")
                    .evaluate(context(attrs("appRoleAssignments", List.of(admin, onlyName))))).as(f).asList()
                    .containsExactly(
                            Map.of("primary", false, "type", "WindowsAzureActiveDirectoryRole", "display",
                                    "Administrator", "value", "Admin"),
                            Map.of("primary", false, "type", "WindowsAzureActiveDirectoryRole", "display", "Reader",
                                    "value", "Reader"));
        }
        // anywhere else a role reads as its value
        assertThat(Expression.parse("Join(\";\", [appRoleAssignments])")
                .evaluate(context(attrs("appRoleAssignments", List.of(admin, onlyName))))).isEqualTo("Admin;Reader");
        assertThat(Expression.parse("Count([appRoleAssignments])")
                .evaluate(context(attrs("appRoleAssignments", List.of(admin, onlyName))))).isEqualTo(2L);
    }

    @Test
    void splitReturnsAMultiValuedValue() {
        assertThat(Expression.parse("Split([x], \",\")").evaluate(context(attrs("x", "a,b,,c"))))
                .isEqualTo(List.of("a", "b", "", "c"));
    }

    @Test
    void everyDocumentedFunctionExceptSelectUniqueValueIsDefined() {
        assertThat(Functions.names()).containsExactlyInAnyOrder("Append", "AppRoleAssignmentsComplex",
                "AssertiveAppRoleAssignmentsComplex", "BitAnd",
                "CBool",
                "CDate", "Coalesce", "ConvertToBase64", "ConvertToUTF8Hex", "Count", "CStr", "DateAdd", "DateDiff",
                "DateFromNum", "FormatDateTime", "Guid", "IgnoreFlowIfNullOrEmpty", "IIF", "InStr", "IsNull",
                "IsNullOrEmpty", "IsPresent", "IsString", "Item", "Join", "Left", "Mid", "NormalizeDiacritics", "Not",
                "Now", "NumFromDate", "PCase", "RandomString", "Redact", "RemoveDuplicates", "Replace",
                "SingleAppRoleAssignment", "Split", "StripSpaces", "Switch", "ToLower", "ToUpper", "Word");
    }

    static Arguments dateDiff(String interval, String date1, String date2, String expected) {
        return arguments("DateDiff(\"" + interval + "\", CDate([date1]), CDate([date2]))",
                attrs("date1", date1, "date2", date2), expected);
    }

    static Map<String, Object> attrs(Object... keyValues) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    static EvaluationContext context(Map<String, Object> attributes) {
        return new EvaluationContext() {
            private final RandomGenerator random = new SplittableRandom();

            @Override
            public Object attribute(String name) {
                return attributes.get(name);
            }

            @Override
            public Clock clock() {
                return CLOCK;
            }

            @Override
            public RandomGenerator random() {
                return random;
            }

            @Override
            public String toString() {
                return Arrays.toString(attributes.entrySet().toArray());
            }
        };
    }
}
