// renewmatch_ingest_baseline: the floor that scripts/bench-ingest compares the server against.
//
// Reads a supply list written by scripts/demo-data (JSON, one line object per text line between
// the header line and the closing "]}"), and inserts every line as one `supply_lines` row with a
// minimal prepared-statement loop: one transaction, no validation, no versioning, no history, no
// change feed, no service-area rows. Each row stores the line's raw JSON text as `body`.
//
// The schema is the server's, not a copy of it: the database is either created here by applying
// this build's embedded migrations (schema::Database::Migrate, the code `renewmatch db migrate`
// and renewmatchd run), or given ready-made by the caller (scripts/bench-ingest migrates it with
// the `renewmatch` binary of the server under test, so the baseline writes exactly the tables,
// indexes, CHECK constraints and foreign keys that server's schema has). The connection has the
// server writer's settings: WAL, synchronous=NORMAL, foreign_keys=ON. One organisation and one
// `lists` row (what the line rows' foreign keys point at) are inserted before the timer starts.
//
// What is timed: reading the file, parsing each line with RapidJSON, binding, stepping and the
// commit. Output: one line of `key=value` pairs on stdout for the script to parse:
//   lines=N seconds=S lines_per_s=R peak_rss_kib=K db_bytes=B schema_version=V supply_btrees=T
// (supply_btrees: the supply_lines table plus its indexes, automatic ones included, that every
// row goes into).
//
// With --service-areas, each line's `serviceAreas` / `excludedAreas` codes also go into the
// `service_areas` table (as given, INSERT OR IGNORE), the one child table the server still writes
// per supply line: a second, slower floor; the first (line rows only) is the stricter one.
//
// Usage: renewmatch_ingest_baseline [--service-areas] SUPPLY_JSON DB_PATH
//   DB_PATH either does not exist (created and migrated here) or is a migrated database whose
//   supply_lines table is empty.
// Exit status: 0 on success, 1 on any error (message on stderr), 2 on usage error.
// Single-threaded; owns its SQLite connection.
#include "matcher/dates.hpp"
#include "schema/database.hpp"

#include <rapidjson/document.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace {

using Clock = std::chrono::steady_clock;

// What the line rows refer to (foreign keys): one supplier and one current supply list.
constexpr std::int64_t kOrgId = 900001;
constexpr std::int64_t kListId = 900001;
constexpr std::string_view kSetup = R"sql(
INSERT INTO orgs (id, name, kind, uscc, created_at, updated_at)
    VALUES (900001, 'ingest baseline', 'supplier', '91310000BENCH0001X', 0, 0);
INSERT INTO lists (id, org_id, kind, series, version, title, status, digest, source_format,
                   line_count, published_at)
    VALUES (900001, 900001, 'supply', 'bench-baseline', 1, 'ingest baseline', 'current',
            '0000000000000000000000000000000000000000000000000000000000000000', 'json', 0, 0);
)sql";

constexpr std::string_view kInsertArea =
    "INSERT OR IGNORE INTO service_areas (line_id, region, excluded) VALUES (?1, ?2, ?3)";

constexpr std::string_view kInsert =
    "INSERT INTO supply_lines (org_id, series, sku, list_id, status, revision, title, brand, "
    "model, classification_scheme, classification_id, price_amount, price_currency, "
    "price_valid_until, min_order_qty, capacity_per_month, lead_time_days, "
    "energy_efficiency_grade, localization_rate, first_of_kind, second_hand, chain_segment, "
    "vendor_region, last_confirmed_at, body, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, "
    "?25, ?26, ?27)";

long PeakRssKib() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

bool Check(sqlite3* db, int rc, const char* what) {
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return true;
    std::cerr << "ingest_baseline: " << what << ": " << sqlite3_errmsg(db) << '\n';
    return false;
}

// Binders that treat a missing or mistyped member as NULL (no validation by design).
const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
    auto it = object.FindMember(name);
    return it == object.MemberEnd() ? nullptr : &it->value;
}

void BindText(sqlite3_stmt* s, int i, const rapidjson::Value* v) {
    if (v != nullptr && v->IsString()) {
        sqlite3_bind_text(s, i, v->GetString(), static_cast<int>(v->GetStringLength()),
                          SQLITE_STATIC);
    } else {
        sqlite3_bind_text(s, i, "", 0, SQLITE_STATIC);
    }
}

void BindReal(sqlite3_stmt* s, int i, const rapidjson::Value* v) {
    if (v != nullptr && v->IsNumber()) {
        sqlite3_bind_double(s, i, v->GetDouble());
    } else {
        sqlite3_bind_null(s, i);
    }
}

void BindInt(sqlite3_stmt* s, int i, const rapidjson::Value* v) {
    if (v != nullptr && v->IsInt64()) {
        sqlite3_bind_int64(s, i, v->GetInt64());
    } else {
        sqlite3_bind_null(s, i);
    }
}

void BindBool(sqlite3_stmt* s, int i, const rapidjson::Value* v) {
    sqlite3_bind_int(s, i, v != nullptr && v->IsBool() && v->GetBool() ? 1 : 0);
}

void BindDay(sqlite3_stmt* s, int i, const rapidjson::Value* v) {
    std::optional<renewmatch::matcher::Day> day;
    if (v != nullptr && v->IsString()) {
        day = renewmatch::matcher::ParseIsoDay(
            std::string_view(v->GetString(), v->GetStringLength()));
    }
    if (day) {
        sqlite3_bind_int64(s, i, static_cast<std::int64_t>(*day));
    } else {
        sqlite3_bind_null(s, i);
    }
}

// Creates DB_PATH with this build's embedded migrations (the server's own migration code).
bool CreateMigrated(const std::string& db_path) {
    namespace schema = renewmatch::schema;
    std::string message;
    auto database = schema::Database::Open(db_path, schema::DatabaseOptions{}, &message);
    if (!database) {
        std::cerr << "ingest_baseline: cannot create " << db_path << ": " << message << '\n';
        return false;
    }
    if (auto version = (*database)->Migrate(&message); !version) {
        std::cerr << "ingest_baseline: migrating " << db_path << ": " << message << '\n';
        return false;
    }
    return true;
}

// One integer from a one-row query, or -1.
std::int64_t QueryInt(sqlite3* db, const char* sql) {
    sqlite3_stmt* s = nullptr;
    std::int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        value = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return value;
}

// Inserts one service_areas row per string in `codes` (an array member of the line, may be absent).
bool InsertAreas(sqlite3* db,
                 sqlite3_stmt* s,
                 std::int64_t line_id,
                 const rapidjson::Value* codes,
                 int excluded) {
    if (codes == nullptr || !codes->IsArray()) return true;
    for (const auto& code : codes->GetArray()) {
        if (!code.IsString()) continue;
        sqlite3_bind_int64(s, 1, line_id);
        sqlite3_bind_text(s, 2, code.GetString(), static_cast<int>(code.GetStringLength()),
                          SQLITE_STATIC);
        sqlite3_bind_int(s, 3, excluded);
        if (!Check(db, sqlite3_step(s), "insert area") || !Check(db, sqlite3_reset(s), "reset")) {
            return false;
        }
    }
    return true;
}

int Run(const std::string& input_path, const std::string& db_path, bool with_areas) {
    std::ifstream in(input_path, std::ios::binary);
    if (!in) {
        std::cerr << "ingest_baseline: cannot read " << input_path << '\n';
        return 1;
    }
    if (!std::filesystem::exists(db_path) && !CreateMigrated(db_path)) return 1;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
        std::cerr << "ingest_baseline: cannot open " << db_path << '\n';
        sqlite3_close(db);
        return 1;
    }
    // The server writer's connection settings (schema/database.cpp, schema/statement.cpp).
    bool ok = Check(db,
                    sqlite3_exec(db,
                                 "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
                                 "PRAGMA foreign_keys = ON;",
                                 nullptr, nullptr, nullptr),
                    "pragmas");
    const std::int64_t schema_version = QueryInt(db, "PRAGMA user_version");
    const std::int64_t existing = QueryInt(db, "SELECT count(*) FROM supply_lines");
    // The table itself plus every index of it (automatic ones for UNIQUE included).
    const std::int64_t btrees =
        1 + QueryInt(db,
                     "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                     "tbl_name = 'supply_lines'");
    if (ok && (schema_version <= 0 || existing != 0)) {
        std::cerr << "ingest_baseline: " << db_path
                  << " is not a migrated database with an empty supply_lines table (schema "
                     "version "
                  << schema_version << ", " << existing << " supply lines)\n";
        ok = false;
    }
    ok = ok && Check(db, sqlite3_exec(db, kSetup.data(), nullptr, nullptr, nullptr), "setup");
    sqlite3_stmt* insert = nullptr;
    ok = ok && Check(db,
                     sqlite3_prepare_v3(db, kInsert.data(), static_cast<int>(kInsert.size()),
                                        SQLITE_PREPARE_PERSISTENT, &insert, nullptr),
                     "prepare");
    sqlite3_stmt* insert_area = nullptr;
    ok = ok &&
         (!with_areas ||
          Check(db,
                sqlite3_prepare_v3(db, kInsertArea.data(), static_cast<int>(kInsertArea.size()),
                                   SQLITE_PREPARE_PERSISTENT, &insert_area, nullptr),
                "prepare"));
    const auto start = Clock::now();
    ok = ok && Check(db, sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), "begin");

    std::string text;
    std::int64_t lines = 0;
    constexpr std::int64_t kNowMs = 1'780'000'000'000;
    rapidjson::Document doc;
    bool header = true;
    while (ok && std::getline(in, text)) {
        if (header) {  // {"kind": …, "lines": [
            header = false;
            continue;
        }
        if (!text.empty() && text.back() == ',') text.pop_back();
        if (text.empty() || text[0] != '{') continue;  // the closing "]}"
        doc.Parse(text.data(), text.size());
        if (doc.HasParseError() || !doc.IsObject()) {
            std::cerr
                << "ingest_baseline: line " << lines + 1
                << " is not one JSON object per text line (write it with scripts/demo-data)\n";
            ok = false;
            break;
        }
        const rapidjson::Value* cls = Member(doc, "classification");
        const rapidjson::Value* price = Member(doc, "price");
        sqlite3_bind_int64(insert, 1, kOrgId);
        sqlite3_bind_text(insert, 2, "bench-baseline", -1, SQLITE_STATIC);
        BindText(insert, 3, Member(doc, "sku"));
        sqlite3_bind_int64(insert, 4, kListId);
        sqlite3_bind_text(insert, 5, "active", -1, SQLITE_STATIC);
        sqlite3_bind_int64(insert, 6, 1);
        BindText(insert, 7, Member(doc, "title"));
        BindText(insert, 8, Member(doc, "brand"));
        BindText(insert, 9, Member(doc, "model"));
        const bool has_cls = cls != nullptr && cls->IsObject();
        BindText(insert, 10, has_cls ? Member(*cls, "scheme") : nullptr);
        BindText(insert, 11, has_cls ? Member(*cls, "id") : nullptr);
        const bool has_price = price != nullptr && price->IsObject();
        BindReal(insert, 12, has_price ? Member(*price, "amount") : nullptr);
        BindText(insert, 13, has_price ? Member(*price, "currency") : nullptr);
        BindDay(insert, 14, has_price ? Member(*price, "validUntil") : nullptr);
        BindReal(insert, 15, Member(doc, "minOrderQty"));
        BindReal(insert, 16, Member(doc, "capacityPerMonth"));
        BindInt(insert, 17, Member(doc, "leadTimeDays"));
        BindInt(insert, 18, Member(doc, "energyEfficiencyGrade"));
        BindReal(insert, 19, Member(doc, "localizationRate"));
        BindBool(insert, 20, Member(doc, "firstOfKind"));
        BindBool(insert, 21, Member(doc, "secondHand"));
        BindText(insert, 22, Member(doc, "chainSegment"));
        BindText(insert, 23, Member(doc, "vendorRegion"));
        BindDay(insert, 24, Member(doc, "lastConfirmedAt"));
        sqlite3_bind_text(insert, 25, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
        sqlite3_bind_int64(insert, 26, kNowMs);
        sqlite3_bind_int64(insert, 27, kNowMs);
        ok = Check(db, sqlite3_step(insert), "insert") && Check(db, sqlite3_reset(insert), "reset");
        if (ok && with_areas) {
            const std::int64_t id = sqlite3_last_insert_rowid(db);
            ok = InsertAreas(db, insert_area, id, Member(doc, "serviceAreas"), 0) &&
                 InsertAreas(db, insert_area, id, Member(doc, "excludedAreas"), 1);
        }
        ++lines;
    }
    ok = ok && Check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
    sqlite3_finalize(insert);
    sqlite3_finalize(insert_area);
    sqlite3_close(db);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!ok) return 1;
    if (lines == 0) {
        std::cerr << "ingest_baseline: no lines in " << input_path << '\n';
        return 1;
    }
    std::error_code ec;
    const auto db_bytes = std::filesystem::file_size(db_path, ec);
    std::printf(
        "lines=%lld seconds=%.3f lines_per_s=%.0f peak_rss_kib=%ld db_bytes=%llu "
        "schema_version=%lld supply_btrees=%lld\n",
        static_cast<long long>(lines), seconds, static_cast<double>(lines) / seconds, PeakRssKib(),
        static_cast<unsigned long long>(ec ? 0 : db_bytes), static_cast<long long>(schema_version),
        static_cast<long long>(btrees));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const bool with_areas = argc == 4 && std::string_view(argv[1]) == "--service-areas";
    if (argc != 3 && !with_areas) {
        std::cerr << "usage: renewmatch_ingest_baseline [--service-areas] SUPPLY_JSON DB_PATH\n";
        return 2;
    }
    return Run(argv[argc - 2], argv[argc - 1], with_areas);
}
