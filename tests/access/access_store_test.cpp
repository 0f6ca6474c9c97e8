// The schema side of issue 3 on a real SQLite file: uniqueness, write-once key hashes, no
// un-revoking or deleting keys, append-only audit rows, and audit rows rolled back with the
// write they belong to.
#include "schema/audit_store.hpp"
#include "schema/database.hpp"
#include "schema/key_store.hpp"
#include "schema/org_store.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <array>

namespace renewmatch::schema {
namespace {

class AccessStore : public ::testing::Test {
  protected:
    void SetUp() override {
        auto db = Database::Open((dir_ / "store.db").string());
        ASSERT_TRUE(db.has_value());
        db_ = std::move(*db);
        ASSERT_TRUE(db_->Migrate().has_value());
    }
    OrgRecord Org(const std::string& uscc) {
        OrgRecord org;
        org.name = "Org " + uscc;
        org.kind = "supplier";
        org.uscc = uscc;
        org.chains = {"nev", "nev", "advanced-materials"};
        org.created_at_ms = 1000;
        return org;
    }
    renewmatch::testing::TempDir dir_;
    std::unique_ptr<Database> db_;
};

TEST_F(AccessStore, OrgsRoundTripAndUsccIsUnique) {
    auto first = db_->Write([&](Connection& c) { return InsertOrg(c, Org("91350100M000100Y43")); });
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->chains, (std::vector<std::string>{"advanced-materials", "nev"}));
    auto again = db_->Write([&](Connection& c) { return InsertOrg(c, Org("91350100M000100Y43")); });
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error(), Errc::kConflict);
    auto found = db_->Read([&](Connection& c) { return FindOrgIdByUscc(c, "91350100M000100Y43"); });
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(*found, first->id);
    // A supplier without a USCC is refused by the table itself.
    OrgRecord no_code = Org("x");
    no_code.uscc.reset();
    auto refused = db_->Write([&](Connection& c) { return InsertOrg(c, no_code); });
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error(), Errc::kConflict);
    auto read = db_->Read([&](Connection& c) { return FindOrg(c, first->id); });
    ASSERT_TRUE(read.has_value() && read->has_value());
    EXPECT_EQ((*read)->chains, first->chains);
    EXPECT_EQ((*read)->uscc, "91350100M000100Y43");
}

TEST_F(AccessStore, KeyHashIsWriteOnceAndKeysAreNeverUnrevokedOrDeleted) {
    auto org = db_->Write([&](Connection& c) { return InsertOrg(c, Org("914403001922038216")); });
    ASSERT_TRUE(org.has_value());
    std::array<std::uint8_t, 32> hash{};
    hash.fill(7);
    auto id = db_->Write([&](Connection& c) -> Result<std::int64_t> {
        auto key = InsertApiKey(c, org->id, "supplier", "k", 5, std::nullopt);
        if (!key) return key.error();
        if (auto set = SetApiKeyHash(c, *key, hash); !set) return set.error();
        return *key;
    });
    ASSERT_TRUE(id.has_value());
    hash.fill(8);
    auto reset = db_->Write([&](Connection& c) { return SetApiKeyHash(c, *id, hash); });
    ASSERT_FALSE(reset.has_value());
    EXPECT_EQ(reset.error(), Errc::kConflict);

    // Database::Write cannot carry Result<bool> (bool converts from an error code), so the
    // outcome travels as 1 (changed) / 0 (already revoked).
    const auto revoke = [&](std::int64_t key_id, std::int64_t at) {
        return db_->Write([&](Connection& c) -> Result<int> {
            auto changed = RevokeApiKey(c, key_id, at);
            if (!changed) return changed.error();
            return *changed ? 1 : 0;
        });
    };
    auto revoked = revoke(*id, 9);
    ASSERT_TRUE(revoked.has_value());
    EXPECT_EQ(*revoked, 1);
    auto twice = revoke(*id, 10);
    ASSERT_TRUE(twice.has_value());
    EXPECT_EQ(*twice, 0);
    auto unrevoke =
        db_->Write([&](Connection& c) { return c.Exec("UPDATE api_keys SET revoked_at = NULL"); });
    EXPECT_FALSE(unrevoke.has_value());
    auto remove = db_->Write([&](Connection& c) { return c.Exec("DELETE FROM api_keys"); });
    EXPECT_FALSE(remove.has_value());
    auto key = db_->Read([&](Connection& c) { return FindApiKey(c, *id); });
    ASSERT_TRUE(key.has_value() && key->has_value());
    EXPECT_EQ((*key)->revoked_at_ms, 9);
    EXPECT_EQ((*key)->secret_hash[0], 7);
    auto missing = revoke(424242, 1);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error(), Errc::kNotFound);
}

TEST_F(AccessStore, AuditRowRollsBackWithItsWrite) {
    AuditEntry entry;
    entry.at_ms = 1;
    entry.request_id = "r1";
    entry.action = "org.create";
    entry.entity_kind = "org";
    entry.entity_id = "1";
    // The write fails after the audit row was appended: neither survives.
    auto failed = db_->Write([&](Connection& c) -> Result<int> {
        if (auto a = AppendAudit(c, entry); !a) return a.error();
        auto org = InsertOrg(c, Org("bad"));  // CHECK length(uscc) = 18 fails
        if (!org) return org.error();
        return 0;
    });
    ASSERT_FALSE(failed.has_value());
    auto rows = db_->Read([&](Connection& c) { return QueryAudit(c, AuditQuery{}); });
    ASSERT_TRUE(rows.has_value());
    EXPECT_TRUE(rows->items.empty());
    // A successful one keeps both.
    auto ok = db_->Write([&](Connection& c) -> Result<int> {
        if (auto a = AppendAudit(c, entry); !a) return a.error();
        auto org = InsertOrg(c, Org("9144030071526726XG"));
        if (!org) return org.error();
        return 0;
    });
    ASSERT_TRUE(ok.has_value());
    rows = db_->Read([&](Connection& c) { return QueryAudit(c, AuditQuery{}); });
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(rows->items.size(), 1u);
    EXPECT_EQ(rows->items[0].request_id, "r1");
    auto tamper = db_->Write(
        [&](Connection& c) { return c.Exec("UPDATE audit_log SET request_id = 'forged'"); });
    ASSERT_FALSE(tamper.has_value());
    EXPECT_EQ(tamper.error(), Errc::kConflict);
}

}  // namespace
}  // namespace renewmatch::schema
