#include "api/encoding.hpp"

#include <iconv.h>

#include <algorithm>
#include <cerrno>

namespace renewmatch::api {
namespace {

std::int64_t LineAt(std::string_view bytes, std::size_t offset) noexcept {
    const auto end = bytes.begin() + static_cast<std::ptrdiff_t>(std::min(offset, bytes.size()));
    return 1 + static_cast<std::int64_t>(std::count(bytes.begin(), end, '\n'));
}

EncodingError ErrorAt(std::string_view bytes, std::size_t offset, std::string message) {
    EncodingError e;
    e.line = LineAt(bytes, offset);
    e.byte_offset = offset;
    e.message = std::move(message);
    return e;
}

std::size_t FindNul(std::string_view bytes) noexcept {
    return bytes.find('\0');
}

// RAII iconv descriptor.
class Iconv {
  public:
    Iconv(const char* to, const char* from) : cd_(iconv_open(to, from)) {}
    ~Iconv() {
        if (ok()) iconv_close(cd_);
    }
    Iconv(const Iconv&) = delete;
    Iconv& operator=(const Iconv&) = delete;
    bool ok() const noexcept { return cd_ != reinterpret_cast<iconv_t>(-1); }  // NOLINT: iconv API
    iconv_t get() const noexcept { return cd_; }

  private:
    iconv_t cd_;
};

// Converts all of `in` with `cd`; on an invalid or truncated sequence returns the offset.
boost::system::result<std::string, std::size_t> Convert(iconv_t cd,
                                                        std::string_view in,
                                                        std::size_t reserve) {
    std::string out;
    out.resize(std::max<std::size_t>(reserve, 16));
    // iconv's interface takes char**; it does not write through the input pointer.
    char* in_ptr = const_cast<char*>(in.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    std::size_t in_left = in.size();
    std::size_t used = 0;
    while (in_left > 0) {
        char* out_ptr = out.data() + used;
        std::size_t out_left = out.size() - used;
        const std::size_t rc = iconv(cd, &in_ptr, &in_left, &out_ptr, &out_left);
        used = out.size() - out_left;
        if (rc != static_cast<std::size_t>(-1)) break;
        if (errno == E2BIG) {
            out.resize(out.size() * 2);
            continue;
        }
        // EILSEQ (invalid sequence) or EINVAL (truncated sequence at the end).
        return {boost::system::in_place_error, static_cast<std::size_t>(in_ptr - in.data())};
    }
    out.resize(used);
    return out;
}

}  // namespace

std::string_view TextEncodingName(TextEncoding encoding) noexcept {
    switch (encoding) {
        case TextEncoding::kUtf8:
            return "utf-8";
        case TextEncoding::kUtf8Bom:
            return "utf-8-bom";
        case TextEncoding::kGb18030:
            return "gb18030";
    }
    return "utf-8";
}

std::size_t FirstInvalidUtf8(std::string_view bytes, bool* saw_multibyte) noexcept {
    if (saw_multibyte != nullptr) *saw_multibyte = false;
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t n = bytes.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned lo = 0x80;
        unsigned hi = 0xBF;  // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;  // no overlongs
            if (c == 0xED) hi = 0x9F;  // no surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;  // no overlongs
            if (c == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
        } else {
            return i;
        }
        if (i + len > n) return i;
        if (p[i + 1] < lo || p[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k) {
            if (p[i + k] < 0x80 || p[i + k] > 0xBF) return i;
        }
        if (saw_multibyte != nullptr) *saw_multibyte = true;
        i += len;
    }
    return std::string_view::npos;
}

boost::system::result<DecodedText, EncodingError> DecodeToUtf8(std::string_view bytes) {
    DecodedText out;
    if (bytes.size() >= 2 && ((bytes[0] == '\xFF' && bytes[1] == '\xFE') ||
                              (bytes[0] == '\xFE' && bytes[1] == '\xFF'))) {
        return ErrorAt(bytes, 0,
                       "UTF-16 text is not accepted; save the file as UTF-8 or GBK (GB18030)");
    }
    if (const auto nul = FindNul(bytes); nul != std::string_view::npos) {
        return ErrorAt(bytes, nul, "NUL byte in text");
    }
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
        const std::string_view rest = bytes.substr(3);
        if (const auto bad = FirstInvalidUtf8(rest); bad != std::string_view::npos) {
            return ErrorAt(bytes, bad + 3,
                           "invalid UTF-8 byte sequence (the file starts with "
                           "a UTF-8 byte-order mark)");
        }
        out.utf8.assign(rest);
        out.source = TextEncoding::kUtf8Bom;
        return out;
    }
    bool saw_multibyte = false;
    const auto bad = FirstInvalidUtf8(bytes, &saw_multibyte);
    if (bad == std::string_view::npos) {
        out.utf8.assign(bytes);
        out.source = TextEncoding::kUtf8;
        return out;
    }
    if (saw_multibyte) {
        return ErrorAt(bytes, bad, "invalid UTF-8 byte sequence");
    }
    Iconv cd("UTF-8", "GB18030");
    if (!cd.ok()) return ErrorAt(bytes, 0, "GB18030 conversion is unavailable (iconv_open)");
    // GB18030 -> UTF-8 grows at most 3/2 for CJK text.
    auto converted = Convert(cd.get(), bytes, bytes.size() + bytes.size() / 2);
    if (!converted) {
        return ErrorAt(bytes, converted.error(),
                       "invalid byte sequence: neither valid UTF-8 nor valid GB18030/GBK");
    }
    out.utf8 = std::move(*converted);
    out.source = TextEncoding::kGb18030;
    return out;
}

boost::system::result<std::string, EncodingError> Utf8ToGb18030(std::string_view utf8) {
    if (const auto bad = FirstInvalidUtf8(utf8); bad != std::string_view::npos) {
        return ErrorAt(utf8, bad, "invalid UTF-8 byte sequence");
    }
    Iconv cd("GB18030", "UTF-8");
    if (!cd.ok()) return ErrorAt(utf8, 0, "GB18030 conversion is unavailable (iconv_open)");
    auto converted = Convert(cd.get(), utf8, utf8.size());
    if (!converted) return ErrorAt(utf8, converted.error(), "not representable in GB18030");
    return std::move(*converted);
}

}  // namespace renewmatch::api
