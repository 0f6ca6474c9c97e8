#include "api/auth.hpp"

#include "schema/database.hpp"
#include "schema/key_store.hpp"

#include <openssl/rand.h>

#include <string>

namespace renewmatch::api {
namespace {

KeyHash RandomDummyHash() {
    KeyHash hash{};
    if (RAND_bytes(hash.data(), static_cast<int>(hash.size())) != 1) {
        // Without entropy the dummy would be predictable; a fixed hash of a fixed string is no
        // worse for timing (the comparison is constant-time either way) and can never match a
        // real row because no row has id 0.
        hash = HashKeySecret(0, "renewmatch-dummy");
    }
    return hash;
}

// "Bearer <token>" with a case-insensitive scheme (RFC 7235) and surrounding blanks ignored.
// Anything else yields an empty token, which then fails like any other malformed token.
std::string_view BearerToken(std::string_view value) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    constexpr std::string_view kScheme = "bearer";
    if (value.size() <= kScheme.size() + 1) return {};
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        const char c = value[i];
        const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        if (lower != kScheme[i]) return {};
    }
    if (value[kScheme.size()] != ' ') return {};
    value.remove_prefix(kScheme.size() + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    return value;
}

}  // namespace

StoreAuthenticator::StoreAuthenticator(schema::Database& db)
    : db_(db), dummy_hash_(RandomDummyHash()) {}

Result<Principal> StoreAuthenticator::Authenticate(std::string_view authorization_header_value,
                                                   std::int64_t /*now_ms*/) {
    const std::string_view token = BearerToken(authorization_header_value);
    const std::optional<ParsedKeyToken> parsed = ParseKeyToken(token);
    // From here on the work does not depend on whether the token parsed.
    const std::int64_t lookup_id = parsed ? parsed->key_id : 0;
    // A malformed token is hashed as exactly kSecretChars bytes too (truncated or zero-padded),
    // so the hash costs the same as for a well-formed one.
    std::string filler;
    if (!parsed) {
        filler.assign(token.substr(0, kSecretChars));
        filler.resize(kSecretChars, '\0');
    }
    const std::string_view secret = parsed ? parsed->secret : std::string_view(filler);
    const KeyHash presented = HashKeySecret(lookup_id, secret);
    lookups_.fetch_add(1, std::memory_order_relaxed);
    auto found = db_.Read(
        [&](schema::Connection& connection) { return schema::FindApiKey(connection, lookup_id); });
    if (!found) return found.error();
    const std::optional<schema::ApiKeyRecord>& record = *found;
    const KeyHash& stored = record ? record->secret_hash : dummy_hash_;
    const bool hash_matches = KeyHashEquals(presented, stored);
    // One decision over all conditions; `&` (not `&&`) so every operand is evaluated.
    const bool ok = parsed.has_value() & record.has_value() & hash_matches &
                    (record.has_value() && !record->revoked_at_ms.has_value());
    if (!ok) return Errc::kUnauthenticated;
    const std::optional<Role> role = ParseRole(record->role);
    if (!role) return Errc::kInternal;
    return Principal{record->id, record->org_id, *role};
}

api::RateLimiter MakeRateLimitHook(std::shared_ptr<TokenBucketLimiter> limiter) {
    return [limiter = std::move(limiter)](const Principal& principal,
                                          std::int64_t now_ms) -> std::optional<ApiError> {
        const RateDecision decision = limiter->Acquire(principal.key_id, now_ms);
        if (decision.allowed) return std::nullopt;
        ApiError error =
            ApiError::Make(Errc::kRateLimited,
                           "request rate limit exceeded for this API key; retry after " +
                               std::to_string(decision.retry_after_seconds) + " s",
                           "rate_limited");
        error.headers.emplace_back("Retry-After", std::to_string(decision.retry_after_seconds));
        return error;
    };
}

void InstallAccessControl(Service& service,
                          schema::Database& db,
                          std::shared_ptr<TokenBucketLimiter> limiter) {
    service.SetAuthenticator(std::make_shared<StoreAuthenticator>(db));
    if (limiter) service.SetRateLimiter(MakeRateLimitHook(std::move(limiter)));
}

}  // namespace renewmatch::api
