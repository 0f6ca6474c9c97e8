// Authentication and per-key rate limiting for api::Service, backed by the api_keys table.
//
// StoreAuthenticator implements api::Authenticator: it turns `Authorization: Bearer rmk_<id>_<s>`
// into a Principal. Every presented credential — well-formed or not, known or not — takes the
// same path with the same work: one SHA-256, one indexed lookup by key id (id 0, which no row
// has, stands in for an unparseable token), one constant-time comparison against the stored
// hash (or a per-process random dummy hash when no row was found), then one decision. So the
// response time does not tell an attacker whether a key id exists or a token was malformed.
// There is no cache: a key revoked by a committed transaction is refused on the very next
// request.
//
// MakeRateLimitHook adapts a TokenBucketLimiter to Service::SetRateLimiter: a refused request
// gets kRateLimited (429) with `Retry-After` in seconds.
//
// InstallAccessControl wires both into a Service (the composition root calls it once).
//
// Ownership: StoreAuthenticator borrows the Database (must outlive it).
// Thread-safety: Authenticate and the hook are safe to call concurrently.
#pragma once

#include "api/keys_secret.hpp"
#include "api/principal.hpp"
#include "api/rate_limit.hpp"
#include "api/service.hpp"
#include "schema/errc.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

namespace renewmatch::schema {
class Database;
}  // namespace renewmatch::schema

namespace renewmatch::api {

class StoreAuthenticator final : public Authenticator {
  public:
    explicit StoreAuthenticator(schema::Database& db);

    // kUnauthenticated for a missing scheme, malformed token, unknown id, wrong secret or a
    // revoked key (all indistinguishable to the caller); kBusy when the database is busy;
    // kInternal for an unreadable row (e.g. an unknown role string).
    Result<Principal> Authenticate(std::string_view authorization_header_value,
                                   std::int64_t now_ms) override;

    // How many credentials went through the hash-and-lookup path (tests use it to check that
    // malformed and unknown keys take the same path).
    std::uint64_t lookups() const { return lookups_.load(std::memory_order_relaxed); }

  private:
    schema::Database& db_;
    const KeyHash dummy_hash_;  // random; compared against when no row exists
    std::atomic<std::uint64_t> lookups_{0};
};

// The hook for Service::SetRateLimiter. `limiter` is shared with the caller (e.g. for metrics).
api::RateLimiter MakeRateLimitHook(std::shared_ptr<TokenBucketLimiter> limiter);

// service.SetAuthenticator(StoreAuthenticator(db)) and, when `limiter` is non-null,
// service.SetRateLimiter(MakeRateLimitHook(limiter)). Call before the first request.
void InstallAccessControl(Service& service,
                          schema::Database& db,
                          std::shared_ptr<TokenBucketLimiter> limiter);

// Registers /v1/orgs, /v1/orgs/{id}/keys and /v1/audit (see docs/security.md for who may call
// what). Declared here, called from RegisterAllRoutes (api/routes.cpp).
void RegisterAccessRoutes(Router& router);

}  // namespace renewmatch::api
