#include "schema/key_store.hpp"

#include <algorithm>

namespace renewmatch::schema {
namespace {

constexpr std::string_view kKeyColumns =
    "id, org_id, role, name, secret_hash, created_at, created_by, revoked_at";

Result<ApiKeyRecord> ReadKeyRow(const Statement& stmt) {
    ApiKeyRecord key;
    key.id = stmt.ColumnInt64(0);
    key.org_id = stmt.ColumnInt64(1);
    key.role = stmt.ColumnText(2);
    key.name = stmt.ColumnText(3);
    const std::vector<std::uint8_t> hash = stmt.ColumnBlob(4);
    if (hash.size() != key.secret_hash.size()) return Errc::kInternal;  // CHECK makes this 32
    std::copy(hash.begin(), hash.end(), key.secret_hash.begin());
    key.created_at_ms = stmt.ColumnInt64(5);
    key.created_by = stmt.ColumnOptionalInt64(6);
    key.revoked_at_ms = stmt.ColumnOptionalInt64(7);
    return key;
}

// Result<bool> cannot be built from an error_code implicitly (bool is constructible from too
// much), so errors are placed explicitly.
Result<bool> BoolError(boost::system::error_code code) {
    return Result<bool>(boost::system::in_place_error, code);
}
Result<bool> BoolError(Errc kind) {
    return BoolError(make_error_code(kind));
}

}  // namespace

Result<std::int64_t> InsertApiKey(Connection& connection,
                                  std::int64_t org_id,
                                  std::string_view role,
                                  std::string_view name,
                                  std::int64_t created_at_ms,
                                  std::optional<std::int64_t> created_by) {
    auto stmt = connection.Prepare(
        "INSERT INTO api_keys (org_id, role, name, secret_hash, created_at, created_by) "
        "VALUES (?, ?, ?, zeroblob(32), ?, ?)");
    if (!stmt) return stmt.error();
    stmt->BindAll(org_id, role, name, created_at_ms, created_by);
    if (auto r = stmt->Exec(); !r) return r.error();
    return connection.LastInsertRowId();
}

Result<void> SetApiKeyHash(Connection& connection,
                           std::int64_t key_id,
                           std::span<const std::uint8_t, 32> hash) {
    auto stmt = connection.Prepare("UPDATE api_keys SET secret_hash = ? WHERE id = ?");
    if (!stmt) return stmt.error();
    stmt->BindBlob(1, hash).BindInt64(2, key_id);
    if (auto r = stmt->Exec(); !r) return r.error();
    if (connection.Changes() == 0) return Errc::kNotFound;
    return {};
}

Result<std::optional<ApiKeyRecord>> FindApiKey(Connection& connection, std::int64_t id) {
    auto stmt = connection.Prepare(std::string("SELECT ") + std::string(kKeyColumns) +
                                   " FROM api_keys WHERE id = ?");
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, id);
    auto row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return std::optional<ApiKeyRecord>();
    auto key = ReadKeyRow(*stmt);
    if (!key) return key.error();
    return std::optional<ApiKeyRecord>(std::move(*key));
}

Result<std::vector<ApiKeyRecord>> ListApiKeys(Connection& connection, std::int64_t org_id) {
    auto stmt = connection.Prepare(std::string("SELECT ") + std::string(kKeyColumns) +
                                   " FROM api_keys WHERE org_id = ? ORDER BY id");
    if (!stmt) return stmt.error();
    stmt->BindInt64(1, org_id);
    std::vector<ApiKeyRecord> keys;
    for (;;) {
        auto row = stmt->Step();
        if (!row) return row.error();
        if (!*row) break;
        auto key = ReadKeyRow(*stmt);
        if (!key) return key.error();
        keys.push_back(std::move(*key));
    }
    return keys;
}

Result<bool> RevokeApiKey(Connection& connection, std::int64_t key_id, std::int64_t at_ms) {
    auto stmt = connection.Prepare(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
    if (!stmt) return BoolError(stmt.error());
    stmt->BindInt64(1, at_ms).BindInt64(2, key_id);
    if (auto r = stmt->Exec(); !r) return BoolError(r.error());
    if (connection.Changes() > 0) return true;
    auto existing = FindApiKey(connection, key_id);
    if (!existing) return BoolError(existing.error());
    if (!*existing) return BoolError(Errc::kNotFound);
    return false;
}

Result<bool> HasActiveAdminKey(Connection& connection) {
    auto stmt = connection.Prepare(
        "SELECT EXISTS (SELECT 1 FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL)");
    if (!stmt) return BoolError(stmt.error());
    auto row = stmt->Step();
    if (!row) return BoolError(row.error());
    if (!*row) return BoolError(Errc::kInternal);
    return stmt->ColumnInt64(0) != 0;
}

}  // namespace renewmatch::schema
