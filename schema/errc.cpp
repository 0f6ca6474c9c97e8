#include "schema/errc.hpp"

namespace renewmatch {
namespace {

// boost::system::error_category has a protected non-virtual destructor by design; categories
// are never deleted through a base pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "renewmatch"; }
    std::string message(int ev) const override { return ErrcName(static_cast<Errc>(ev)); }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& ErrorCategory() noexcept {
    static const Category category;
    return category;
}

const char* ErrcName(Errc e) noexcept {
    switch (e) {
        case Errc::kOk: return "ok";
        case Errc::kInvalidArgument: return "invalid_argument";
        case Errc::kMalformed: return "malformed";
        case Errc::kNotFound: return "not_found";
        case Errc::kConflict: return "conflict";
        case Errc::kPreconditionFailed: return "precondition_failed";
        case Errc::kUnauthenticated: return "unauthenticated";
        case Errc::kForbidden: return "forbidden";
        case Errc::kTooLarge: return "payload_too_large";
        case Errc::kRateLimited: return "rate_limited";
        case Errc::kBusy: return "busy";
        case Errc::kUnavailable: return "unavailable";
        case Errc::kUnsupportedMediaType: return "unsupported_media_type";
        case Errc::kInternal: return "internal";
    }
    return "unknown";
}

}  // namespace renewmatch
