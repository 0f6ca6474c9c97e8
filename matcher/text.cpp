#include "matcher/text.hpp"

#include <utf8proc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace renewmatch::matcher {
namespace {

bool IsAsciiLetter(char c) {
    return c >= 'a' && c <= 'z';
}
bool IsAsciiDigit(char c) {
    return c >= '0' && c <= '9';
}
bool IsAsciiAlnum(char c) {
    return IsAsciiLetter(c) || IsAsciiDigit(c);
}
bool IsJoiner(char c) {
    return c == '-' || c == '/' || c == '.' || c == '_';
}

// CJK ideographs, kana and hangul: the scripts written without spaces that we bigram.
bool IsCjk(utf8proc_int32_t cp) {
    return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FA1F) ||
           (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0xAC00 && cp <= 0xD7AF);
}

struct CodePoint {
    utf8proc_int32_t cp;
    std::size_t begin;  // byte offset in the normalised text
    std::size_t end;
};

bool IsContinuation(unsigned char byte) {
    return (byte & 0xC0) == 0x80;
}

// The code point starting at text[pos] and its length in bytes, or 0 when the bytes there are
// not valid UTF-8 (what utf8proc_iterate decides). ASCII and the three-byte sequences that
// cannot be overlong or surrogates (lead bytes E1-EC, EE, EF: CJK ideographs, CJK and general
// punctuation, full-width forms) are decoded here; anything else is left to utf8proc_iterate.
// kReference: utf8proc_iterate for everything (the oracle of the *Reference functions).
template <bool kReference>
std::size_t NextCodePoint(std::string_view text, std::size_t pos, utf8proc_int32_t& cp) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (kReference) {
        // no shortcut
    } else if (lead < 0x80) {
        cp = lead;
        return 1;
    }
    if (!kReference && lead >= 0xE1 && lead <= 0xEF && lead != 0xED && text.size() - pos >= 3) {
        const auto b1 = static_cast<unsigned char>(text[pos + 1]);
        const auto b2 = static_cast<unsigned char>(text[pos + 2]);
        if (IsContinuation(b1) && IsContinuation(b2)) {
            cp = static_cast<utf8proc_int32_t>(((lead & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) |
                                               (b2 & 0x3Fu));
            return 3;
        }
    }
    const utf8proc_ssize_t n =
        utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data()) + pos,
                         static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
    return n <= 0 ? 0 : static_cast<std::size_t>(n);
}

// The code points of `text` into `out` (cleared first); invalid bytes are skipped.
template <bool kReference>
void DecodeInto(std::string_view text, std::vector<CodePoint>& out) {
    out.clear();
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        utf8proc_int32_t cp = 0;
        const std::size_t n = NextCodePoint<kReference>(text, pos, cp);
        if (n == 0) {  // invalid byte: skip it
            ++pos;
            continue;
        }
        out.push_back({cp, pos, pos + n});
        pos += n;
    }
}

template <bool kReference>
std::vector<CodePoint> Decode(std::string_view text) {
    std::vector<CodePoint> out;
    DecodeInto<kReference>(text, out);
    return out;
}

// Emits the terms of one Latin chunk: letters/digits joined by - / . _ (already split on spaces).
void EmitChunk(std::string_view chunk, std::vector<Term>& out) {
    // Trim joiners at the ends ("-abc." -> "abc").
    while (!chunk.empty() && IsJoiner(chunk.front())) chunk.remove_prefix(1);
    while (!chunk.empty() && IsJoiner(chunk.back())) chunk.remove_suffix(1);
    if (chunk.empty()) return;
    std::string code;
    bool has_digit = false;
    bool has_letter = false;
    bool has_joiner = false;
    std::size_t pos = 0;
    while (pos < chunk.size()) {
        const char c = chunk[pos];
        if (IsJoiner(c)) {
            has_joiner = true;
            ++pos;
            continue;
        }
        if (!IsAsciiAlnum(c)) {
            // Only text that is not NormalizeText's output gets here: an invalid UTF-8 byte the
            // decoder skipped inside a Latin run. Skipped here too (an empty term and no progress
            // otherwise).
            ++pos;
            continue;
        }
        const bool digit = IsAsciiDigit(c);
        std::size_t end = pos;
        while (end < chunk.size() && IsAsciiAlnum(chunk[end]) &&
               IsAsciiDigit(chunk[end]) == digit) {
            ++end;
        }
        out.push_back({std::string(chunk.substr(pos, end - pos)), TermKind::kWord});
        code.append(chunk.substr(pos, end - pos));
        has_digit = has_digit || digit;
        has_letter = has_letter || !digit;
        pos = end;
    }
    // A decimal number ("1.5") is a value, not a part number.
    bool decimal = !has_letter;
    for (char c : chunk) decimal = decimal && (IsAsciiDigit(c) || c == '.');
    // A chunk with a digit and either a letter or an internal joiner is a model/part number.
    if (!decimal && has_digit && (has_letter || has_joiner) && code.size() >= 2) {
        if (has_joiner) out.push_back({std::string(chunk), TermKind::kWhole});
        out.push_back({"#" + code, TermKind::kCode});
    }
}

}  // namespace

namespace {

constexpr auto kNormalizeOptions =
    static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                   UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STRIPCC);

// Appends `mapped` to `out`, collapsing runs of ASCII whitespace into one space and dropping
// leading whitespace (a pending space is written only before the next other byte). `space`
// carries a pending space across calls.
void AppendCollapsed(std::string_view mapped, std::string& out, bool& space) {
    for (const char c : mapped) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = true;
            continue;
        }
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back(c);
    }
}

// The utf8proc path: invalid bytes dropped, then NFKC + case fold + control-character handling.
template <bool kReference>
std::string NormalizeWithUtf8proc(std::string_view text) {
    utf8proc_uint8_t* mapped = nullptr;
    // utf8proc rejects the whole string on one invalid byte; decode leniently first.
    std::string valid;
    valid.reserve(text.size());
    for (const CodePoint& cp : Decode<kReference>(text))
        valid.append(text.substr(cp.begin, cp.end - cp.begin));
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(valid.data()),
                     static_cast<utf8proc_ssize_t>(valid.size()), &mapped, kNormalizeOptions);
    if (n < 0) return {};
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
    std::string out;
    out.reserve(static_cast<std::size_t>(n));
    bool space = false;
    // Ideographic space U+3000 and other separators become ' ' via NFKC already.
    AppendCollapsed(
        std::string_view(reinterpret_cast<const char*>(mapped), static_cast<std::size_t>(n)), out,
        space);
    return out;
}

std::string NormalizeAscii(std::string_view text) {
    // For pure ASCII, NFKC is the identity and case folding is lower-casing.
    std::string out;
    out.reserve(text.size());
    bool space = false;
    for (char c : text) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = true;
            continue;
        }
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) continue;  // STRIPCC
        if (space && !out.empty()) out.push_back(' ');
        space = false;
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    return out;
}

// Code points whose normalisation does not depend on their neighbours when every other code point
// of the text is one of them too: ASCII, CJK unified ideographs, CJK symbols and punctuation
// (without the combining tone marks U+302A-302F), general punctuation up to U+2027, the middle
// dot, and the full-width ASCII forms. None of them is a combining mark or the second half of a
// canonical composition, so NFKC of such a text is the concatenation of each code point's own
// NFKC -- which is taken from utf8proc itself, one code point at a time, when the table is built.
bool InFastSet(utf8proc_int32_t cp) {
    return cp < 0x80 || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3000 && cp <= 0x3029) ||
           (cp >= 0x3030 && cp <= 0x303F) || (cp >= 0x2010 && cp <= 0x2027) || cp == 0xB7 ||
           (cp >= 0xFF01 && cp <= 0xFF5E);
}

// Per code point of the fast set: its utf8proc mapping (at most 7 bytes), or none.
class FastMap {
  public:
    FastMap() : entries_(0x10000) {
        for (utf8proc_int32_t cp = 0; cp < 0x10000; ++cp) {
            if (!InFastSet(cp)) continue;
            utf8proc_uint8_t in[4];
            const utf8proc_ssize_t len = utf8proc_encode_char(cp, in);
            utf8proc_uint8_t* mapped = nullptr;
            const utf8proc_ssize_t n = utf8proc_map(in, len, &mapped, kNormalizeOptions);
            std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(mapped, &std::free);
            if (n < 0 || n > 7) continue;
            Entry& e = entries_[static_cast<std::size_t>(cp)];
            std::memcpy(e.bytes, mapped, static_cast<std::size_t>(n));
            e.size = static_cast<std::int8_t>(n);
        }
    }
    // The mapping of `cp`, or false when it is not in the fast set.
    bool Find(utf8proc_int32_t cp, std::string_view& mapped) const {
        if (cp < 0 || cp >= 0x10000) return false;
        const Entry& e = entries_[static_cast<std::size_t>(cp)];
        if (e.size < 0) return false;
        mapped = std::string_view(e.bytes, static_cast<std::size_t>(e.size));
        return true;
    }

  private:
    struct Entry {
        char bytes[7] = {};
        std::int8_t size = -1;
    };
    std::vector<Entry> entries_;
};

const FastMap& Fast() {
    static const FastMap map;  // built once, thread-safe (magic static)
    return map;
}

}  // namespace

std::string NormalizeTextReference(std::string_view text) {
    bool ascii = true;
    for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    return ascii ? NormalizeAscii(text) : NormalizeWithUtf8proc<true>(text);
}

std::string NormalizeText(std::string_view text) {
    bool ascii = true;
    for (char c : text) ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    if (ascii) return NormalizeAscii(text);
    // Mixed ASCII/CJK text: concatenate the per-code-point mappings when every code point is in
    // the fast set (the usual equipment text); anything else goes through utf8proc whole.
    const FastMap& fast = Fast();
    std::string out;
    out.reserve(text.size());
    bool space = false;
    std::size_t pos = 0;
    while (pos < text.size()) {
        utf8proc_int32_t cp = 0;
        const std::size_t n = NextCodePoint<false>(text, pos, cp);
        if (n == 0) {  // invalid byte: dropped, as the utf8proc path drops it
            ++pos;
            continue;
        }
        std::string_view mapped;
        if (!fast.Find(cp, mapped)) return NormalizeWithUtf8proc<false>(text);
        AppendCollapsed(mapped, out, space);
        pos += n;
    }
    return out;
}

namespace {

// AnalyzeNormalized over the code points `cps` of `text`.
std::vector<Term> AnalyzeCodePoints(std::string_view text, const std::vector<CodePoint>& cps) {
    std::vector<Term> out;
    std::size_t i = 0;
    // For the "vmc 850" pair rule: the previous Latin chunk if it was letters only.
    std::string previous_letters;
    while (i < cps.size()) {
        const utf8proc_int32_t cp = cps[i].cp;
        if (cp < 0x80 && (IsAsciiAlnum(static_cast<char>(cp)))) {
            std::size_t j = i;
            while (j < cps.size() && cps[j].cp < 0x80 &&
                   (IsAsciiAlnum(static_cast<char>(cps[j].cp)) ||
                    IsJoiner(static_cast<char>(cps[j].cp)))) {
                ++j;
            }
            const std::string_view chunk = text.substr(cps[i].begin, cps[j - 1].end - cps[i].begin);
            EmitChunk(chunk, out);
            bool letters_only = true;
            for (char c : chunk) letters_only = letters_only && IsAsciiLetter(c);
            if (!previous_letters.empty() && IsAsciiDigit(chunk.front())) {
                std::string code = "#" + previous_letters;
                for (char c : chunk) {
                    if (IsAsciiAlnum(c)) code.push_back(c);
                }
                out.push_back({std::move(code), TermKind::kCode});
            }
            previous_letters = letters_only && chunk.size() <= 8 ? std::string(chunk) : "";
            i = j;
            continue;
        }
        if (IsCjk(cp)) {
            std::size_t j = i;
            while (j < cps.size() && IsCjk(cps[j].cp)) ++j;
            if (j - i == 1) {
                out.push_back({std::string(text.substr(cps[i].begin, cps[i].end - cps[i].begin)),
                               TermKind::kCjkUnigram});
            } else {
                for (std::size_t k = i; k + 1 < j; ++k) {
                    out.push_back(
                        {std::string(text.substr(cps[k].begin, cps[k + 1].end - cps[k].begin)),
                         TermKind::kCjkBigram});
                }
            }
            previous_letters.clear();
            i = j;
            continue;
        }
        // Separators: a single space keeps the pair rule alive ("vmc 850"); anything else ends it.
        if (cp != ' ') previous_letters.clear();
        ++i;
    }
    return out;
}

}  // namespace

std::vector<Term> AnalyzeNormalized(std::string_view text) {
    // The code points, in a buffer this thread reuses (one allocation per thread, not one per
    // call); an unusually long text's buffer is not kept.
    thread_local std::vector<CodePoint> buffer;
    constexpr std::size_t kKeptCodePoints = 4096;
    DecodeInto<false>(text, buffer);
    std::vector<Term> out = AnalyzeCodePoints(text, buffer);
    if (buffer.capacity() > kKeptCodePoints) std::vector<CodePoint>().swap(buffer);
    return out;
}

std::vector<Term> AnalyzeNormalizedReference(std::string_view text) {
    return AnalyzeCodePoints(text, Decode<true>(text));
}

std::vector<Term> Analyze(std::string_view text) {
    return AnalyzeNormalized(NormalizeText(text));
}

std::vector<std::string> AnalyzeToStrings(std::string_view text) {
    std::vector<std::string> out;
    for (Term& term : Analyze(text)) out.push_back(std::move(term.text));
    return out;
}

std::string NormalizeModelCode(std::string_view model) {
    std::string out;
    for (char c : NormalizeText(model)) {
        if (IsAsciiAlnum(c)) out.push_back(c);
    }
    return out;
}

std::string ModelCodeTerm(std::string_view model) {
    std::string code = NormalizeModelCode(model);
    return code.empty() ? std::string() : "#" + code;
}

}  // namespace renewmatch::matcher
