// api/json.hpp: parsing errors with offsets, typed readers with JSON pointers, unknown-field
// checks and the streaming writer.
#include "api/json.hpp"

#include "tests/support/test_util.hpp"

#include <cmath>
#include <limits>

namespace renewmatch::api {
namespace {

JsonDocument Parse(std::string_view text) {
    auto doc = ParseDocument(text);
    EXPECT_TRUE(doc.has_value()) << text;
    if (!doc) return JsonDocument();
    return std::move(*doc);
}

// The single detail a reader error carries.
const ErrorDetail& OnlyDetail(const ApiError& error) {
    EXPECT_EQ(error.details.size(), 1u);
    static const ErrorDetail kNone;
    return error.details.empty() ? kNone : error.details.front();
}

TEST(ParseDocumentTest, ReportsOffsetAndMessage) {
    auto doc = ParseDocument(R"({"a": 1,, "b": 2})");
    ASSERT_FALSE(doc.has_value());
    EXPECT_EQ(doc.error().kind, Errc::kMalformed);
    EXPECT_EQ(doc.error().code, "invalid_json");
    EXPECT_NE(doc.error().message.find("offset 8"), std::string::npos) << doc.error().message;
    ASSERT_EQ(doc.error().details.size(), 1u);
    EXPECT_EQ(doc.error().details[0].code, "invalid_json");
}

TEST(ParseDocumentTest, RejectsEmptyTrailingGarbageAndBadUtf8) {
    EXPECT_FALSE(ParseDocument("").has_value());
    EXPECT_FALSE(ParseDocument("{} {}").has_value());
    EXPECT_FALSE(ParseDocument("\"\xC3\x28\"").has_value());      // invalid UTF-8 in a string
    EXPECT_FALSE(ParseDocument("\"\xED\xA0\x80\"").has_value());  // an encoded surrogate
    EXPECT_TRUE(ParseDocument("\"中文\"").has_value());
}

TEST(ParseDocumentTest, DeepNestingDoesNotRecurse) {
    // The iterative parser handles nesting far past what a recursive parser's stack would allow.
    const std::size_t depth = 100000;
    std::string text(depth, '[');
    text.append(depth, ']');
    auto doc = ParseDocument(text);
    EXPECT_TRUE(doc.has_value());
}

TEST(ParseDocumentTest, RespectsTheGivenLengthNotATerminator) {
    const std::string text = R"({"a":1}xyz)";
    EXPECT_TRUE(ParseDocument(std::string_view(text).substr(0, 7)).has_value());
}

TEST(JsonPointerTest, EscapesTildeAndSlash) {
    EXPECT_EQ(JsonPointerAppend("", "lines"), "/lines");
    EXPECT_EQ(JsonPointerAppend("/lines", 3), "/lines/3");
    EXPECT_EQ(JsonPointerAppend("/x", "a/b~c"), "/x/a~1b~0c");
}

TEST(JsonReadersTest, ReadsEveryTypeWhenPresent) {
    const auto doc = Parse(R"({"s":"x","i":-9007199254740993,"d":2.5,"di":3,"b":true,
                               "a":[1,2],"o":{"k":null}})");
    auto s = ReadString(doc, "s", "");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(*s, "x");
    auto i = ReadInt64(doc, "i", "");
    ASSERT_TRUE(i.has_value());
    EXPECT_EQ(*i, -9007199254740993LL);
    auto d = ReadDouble(doc, "d", "");
    ASSERT_TRUE(d.has_value());
    EXPECT_DOUBLE_EQ(*d, 2.5);
    auto di = ReadDouble(doc, "di", "");  // an integer is a fine double
    ASSERT_TRUE(di.has_value());
    EXPECT_DOUBLE_EQ(*di, 3.0);
    auto b = ReadBool(doc, "b", "");
    ASSERT_TRUE(b.has_value());
    EXPECT_TRUE(*b);
    auto a = ReadArray(doc, "a", "");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ((*a)->Size(), 2u);
    auto o = ReadObject(doc, "o", "");
    ASSERT_TRUE(o.has_value());
    EXPECT_TRUE((*o)->HasMember("k"));
}

TEST(JsonReadersTest, WrongTypesReportThePointer) {
    const auto doc = Parse(R"({"lines":[{"quantity":"5"},{"quantity":1.5},{"quantity":1e30}]})");
    auto lines = ReadArray(doc, "lines", "");
    ASSERT_TRUE(lines.has_value());
    const JsonValue& array = **lines;

    auto q0 = ReadInt64(array[0], "quantity", JsonPointerAppend("/lines", 0));
    ASSERT_FALSE(q0.has_value());
    EXPECT_EQ(q0.error().kind, Errc::kInvalidArgument);
    EXPECT_EQ(OnlyDetail(q0.error()).field, "/lines/0/quantity");
    EXPECT_EQ(OnlyDetail(q0.error()).code, "wrong_type");
    EXPECT_NE(OnlyDetail(q0.error()).message.find("got string"), std::string::npos);

    auto q1 = ReadInt64(array[1], "quantity", "/lines/1");
    ASSERT_FALSE(q1.has_value());
    EXPECT_EQ(OnlyDetail(q1.error()).field, "/lines/1/quantity");
    EXPECT_EQ(OnlyDetail(q1.error()).code, "wrong_type");

    auto q2 = ReadInt64(array[2], "quantity", "/lines/2");
    ASSERT_FALSE(q2.has_value());
    EXPECT_EQ(OnlyDetail(q2.error()).field, "/lines/2/quantity");

    auto s = ReadString(array[1], "quantity", "/lines/1");
    ASSERT_FALSE(s.has_value());
    EXPECT_NE(OnlyDetail(s.error()).message.find("expected string"), std::string::npos);

    auto b = ReadBool(array[0], "quantity", "/lines/0");
    ASSERT_FALSE(b.has_value());
    EXPECT_EQ(OnlyDetail(b.error()).code, "wrong_type");

    auto arr = ReadArray(doc, "lines", "");
    ASSERT_TRUE(arr.has_value());
    auto obj = ReadObject(doc, "lines", "");
    ASSERT_FALSE(obj.has_value());
    EXPECT_EQ(OnlyDetail(obj.error()).field, "/lines");
}

TEST(JsonReadersTest, IntegerRangeIsChecked) {
    const auto doc = Parse(R"({"big":18446744073709551615,"max":9223372036854775807})");
    auto big = ReadInt64(doc, "big", "");
    ASSERT_FALSE(big.has_value());
    EXPECT_EQ(OnlyDetail(big.error()).code, "out_of_range");
    auto max = ReadInt64(doc, "max", "");
    ASSERT_TRUE(max.has_value());
    EXPECT_EQ(*max, std::numeric_limits<std::int64_t>::max());
}

TEST(JsonReadersTest, MissingOrNullRequiredFieldsAreRequired) {
    const auto doc = Parse(R"({"title":null})");
    auto title = ReadString(doc, "title", "");
    ASSERT_FALSE(title.has_value());
    EXPECT_EQ(OnlyDetail(title.error()).code, "required");
    EXPECT_EQ(OnlyDetail(title.error()).field, "/title");
    auto missing = ReadInt64(doc, "count", "/root");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(OnlyDetail(missing.error()).field, "/root/count");
    EXPECT_EQ(OnlyDetail(missing.error()).code, "required");
}

TEST(JsonReadersTest, OptionalReadersDistinguishAbsentFromWrong) {
    const auto doc = Parse(R"({"n":null,"s":"v","bad":[]})");
    auto absent = ReadOptionalString(doc, "nothing", "");
    ASSERT_TRUE(absent.has_value());
    EXPECT_FALSE(absent->has_value());
    auto null = ReadOptionalInt64(doc, "n", "");
    ASSERT_TRUE(null.has_value());
    EXPECT_FALSE(null->has_value());
    auto present = ReadOptionalString(doc, "s", "");
    ASSERT_TRUE(present.has_value());
    EXPECT_EQ(present->value(), "v");
    auto wrong = ReadOptionalDouble(doc, "bad", "");
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(OnlyDetail(wrong.error()).field, "/bad");
    auto wrong_bool = ReadOptionalBool(doc, "s", "");
    ASSERT_FALSE(wrong_bool.has_value());
    auto no_array = ReadOptionalArray(doc, "nothing", "");
    ASSERT_TRUE(no_array.has_value());
    EXPECT_EQ(*no_array, nullptr);
    auto no_object = ReadOptionalObject(doc, "bad", "");
    ASSERT_FALSE(no_object.has_value());
}

TEST(JsonReadersTest, ReadingFromANonObjectIsWrongTypeAtTheObject) {
    const auto doc = Parse(R"([1,2])");
    auto r = ReadString(doc, "x", "/items/0");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(OnlyDetail(r.error()).field, "/items/0");
    EXPECT_EQ(OnlyDetail(r.error()).code, "wrong_type");
}

TEST(JsonReadersTest, StringLengthLimit) {
    const auto doc = Parse(R"({"s":"abcdef"})");
    auto ok = ReadString(doc, "s", "", 6);
    EXPECT_TRUE(ok.has_value());
    auto too_long = ReadString(doc, "s", "", 5);
    ASSERT_FALSE(too_long.has_value());
    EXPECT_EQ(OnlyDetail(too_long.error()).code, "out_of_range");
}

TEST(JsonReadersTest, KeysWithEmbeddedNulsAndEscapesAreFound) {
    const auto doc = Parse(R"({"a/b":"slash","x\u0000y":"nul"})");
    auto slash = ReadString(doc, "a/b", "");
    ASSERT_TRUE(slash.has_value());
    EXPECT_EQ(*slash, "slash");
    auto nul = ReadString(doc, std::string_view("x\0y", 3), "");
    ASSERT_TRUE(nul.has_value());
    EXPECT_EQ(*nul, "nul");
    auto missing = ReadString(doc, "a/c", "");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(OnlyDetail(missing.error()).field, "/a~1c");
}

TEST(RejectUnknownFieldsTest, ListsEveryUnknownField) {
    const auto doc = Parse(R"({"title":"t","titel":"x","qty":1,"quantity":2})");
    EXPECT_TRUE(RejectUnknownFields(doc, "", {"title", "titel", "qty", "quantity"}).has_value());
    auto r = RejectUnknownFields(doc, "/lines/0", {"title", "quantity"});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, Errc::kInvalidArgument);
    EXPECT_EQ(r.error().code, "unknown_field");
    ASSERT_EQ(r.error().details.size(), 2u);
    EXPECT_EQ(r.error().details[0].field, "/lines/0/titel");
    EXPECT_EQ(r.error().details[1].field, "/lines/0/qty");
    EXPECT_EQ(r.error().details[1].code, "unknown_field");
    auto not_object = RejectUnknownFields(Parse("3"), "", {});
    EXPECT_FALSE(not_object.has_value());
}

TEST(JsonWriterTest, WritesValidJsonAndRoundTrips) {
    JsonWriter w;
    w.StartObject()
        .Field("s", "中\"文\n")
        .Field("i", std::int64_t{-5})
        .Field("u", std::uint64_t{18446744073709551615ULL})
        .Field("d", 0.1)
        .Field("nan", std::nan(""))
        .Field("inf", std::numeric_limits<double>::infinity())
        .Field("b", false)
        .Field("opt", std::optional<int>())
        .Field("opt2", std::optional<std::string>("x"))
        .Key("arr")
        .StartArray()
        .Int64(1)
        .Null()
        .EndArray()
        .EndObject();
    EXPECT_TRUE(w.complete());
    const std::string text = w.Take();
    auto doc = ParseDocument(text);
    ASSERT_TRUE(doc.has_value()) << text;
    EXPECT_EQ(*ReadString(*doc, "s", ""), "中\"文\n");
    EXPECT_EQ(*ReadInt64(*doc, "i", ""), -5);
    EXPECT_DOUBLE_EQ(*ReadDouble(*doc, "d", ""), 0.1);
    EXPECT_TRUE((*doc)["nan"].IsNull());
    EXPECT_TRUE((*doc)["inf"].IsNull());
    EXPECT_TRUE((*doc)["opt"].IsNull());
    EXPECT_EQ(*ReadString(*doc, "opt2", ""), "x");
    EXPECT_FALSE(*ReadBool(*doc, "b", ""));
    EXPECT_TRUE((*doc)["u"].IsUint64());

    // Take() leaves the writer reusable.
    w.StartArray().EndArray();
    EXPECT_EQ(w.Take(), "[]");
}

TEST(JsonWriterTest, CopiesAParsedValue) {
    const auto doc = Parse(R"({"a":[1,{"b":"c"}]})");
    JsonWriter w;
    w.StartObject().Key("wrapped").Value(doc).EndObject();
    EXPECT_EQ(w.Take(), R"({"wrapped":{"a":[1,{"b":"c"}]}})");
}

}  // namespace
}  // namespace renewmatch::api

namespace renewmatch::api {
namespace {

TEST(Utf8Test, ValidatesStrictly) {
    EXPECT_TRUE(IsValidUtf8(""));
    EXPECT_TRUE(IsValidUtf8("plain ascii"));
    EXPECT_TRUE(IsValidUtf8("中文 \xF0\x9F\x98\x80"));
    EXPECT_FALSE(IsValidUtf8("\xFF"));
    EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(IsValidUtf8("\xE4\xB8"));          // truncated
    EXPECT_FALSE(IsValidUtf8("\x80"));              // stray continuation
}

TEST(Utf8Test, SanitizeReplacesEachBadSequence) {
    EXPECT_EQ(SanitizeUtf8("a\xFF"
                           "b"),
              "a\xEF\xBF\xBD"
              "b");
    EXPECT_EQ(SanitizeUtf8("中\xE4\xB8"), "中\xEF\xBF\xBD\xEF\xBF\xBD");
    EXPECT_EQ(SanitizeUtf8("ok"), "ok");
}

TEST(JsonWriterTest, InvalidUtf8IsReplacedSoTheOutputStaysValid) {
    JsonWriter w;
    w.StartObject().Field("k\xFF", "v\xC0\xAF").EndObject();
    const std::string text = w.Take();
    auto doc = ParseDocument(text);  // validates encoding
    ASSERT_TRUE(doc.has_value()) << text;
    EXPECT_EQ(*ReadString(*doc, "k\xEF\xBF\xBD", ""), "v\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace renewmatch::api
