// renewmatch_ingest_baseline: the floor that scripts/bench-ingest compares the server against.
//
// Reads a supply list written by scripts/demo-data (JSON, one line object per text line between
// the header line and the closing "]}"), and inserts every line into a fresh SQLite file with a
// minimal prepared-statement loop: one transaction, no validation, no versioning, no history, no
// change feed, no child tables. The table has the main columns of `supply_lines` (migration
// 0003_lists) and the same secondary indexes, the file the same pragmas as the server's
// (WAL, synchronous=NORMAL), and each row stores the line's raw JSON text as `body`.
//
// What is timed: reading the file, parsing each line with RapidJSON, binding, stepping and the
// commit. Output: one line of `key=value` pairs on stdout for the script to parse:
//   lines=N seconds=S lines_per_s=R peak_rss_kib=K db_bytes=B
//
// Usage: renewmatch_ingest_baseline SUPPLY_JSON DB_PATH   (DB_PATH must not exist)
// Exit status: 0 on success, 1 on any error (message on stderr), 2 on usage error.
// Single-threaded; owns its SQLite connection.
#include "matcher/dates.hpp"

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

constexpr std::string_view kSchema = R"sql(
CREATE TABLE supply_lines (
    id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, series TEXT NOT NULL, sku TEXT NOT NULL,
    list_id INTEGER NOT NULL, status TEXT NOT NULL, revision INTEGER NOT NULL DEFAULT 1,
    title TEXT NOT NULL, brand TEXT NOT NULL DEFAULT '', model TEXT NOT NULL DEFAULT '',
    classification_scheme TEXT NOT NULL, classification_id TEXT NOT NULL, price_amount REAL,
    price_currency TEXT NOT NULL DEFAULT 'CNY', price_valid_until INTEGER,
    min_order_qty REAL NOT NULL DEFAULT 0, capacity_per_month REAL, lead_time_days INTEGER,
    energy_efficiency_grade INTEGER, localization_rate REAL,
    first_of_kind INTEGER NOT NULL DEFAULT 0, second_hand INTEGER NOT NULL DEFAULT 0,
    chain_segment TEXT NOT NULL DEFAULT '', vendor_region TEXT NOT NULL DEFAULT '',
    last_confirmed_at INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    UNIQUE (org_id, series, sku)
) STRICT;
CREATE INDEX supply_lines_class ON supply_lines (classification_id, id);
CREATE INDEX supply_lines_updated ON supply_lines (updated_at, id);
CREATE INDEX supply_lines_list ON supply_lines (list_id, id);
)sql";

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

int Run(const std::string& input_path, const std::string& db_path) {
    if (std::filesystem::exists(db_path)) {
        std::cerr << "ingest_baseline: " << db_path << " exists; give a fresh path\n";
        return 1;
    }
    const auto start = Clock::now();
    std::ifstream in(input_path, std::ios::binary);
    if (!in) {
        std::cerr << "ingest_baseline: cannot read " << input_path << '\n';
        return 1;
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
        std::cerr << "ingest_baseline: cannot open " << db_path << '\n';
        sqlite3_close(db);
        return 1;
    }
    const std::string setup =
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;" + std::string(kSchema) + "BEGIN;";
    sqlite3_stmt* insert = nullptr;
    bool ok = Check(db, sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr), "schema") &&
              Check(db,
                    sqlite3_prepare_v3(db, kInsert.data(), static_cast<int>(kInsert.size()),
                                       SQLITE_PREPARE_PERSISTENT, &insert, nullptr),
                    "prepare");

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
        sqlite3_bind_int64(insert, 1, 2);
        sqlite3_bind_text(insert, 2, "bench-baseline", -1, SQLITE_STATIC);
        BindText(insert, 3, Member(doc, "sku"));
        sqlite3_bind_int64(insert, 4, 1);
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
        ++lines;
    }
    ok = ok && Check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
    sqlite3_finalize(insert);
    sqlite3_close(db);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (!ok) return 1;
    if (lines == 0) {
        std::cerr << "ingest_baseline: no lines in " << input_path << '\n';
        return 1;
    }
    std::error_code ec;
    const auto db_bytes = std::filesystem::file_size(db_path, ec);
    std::printf("lines=%lld seconds=%.3f lines_per_s=%.0f peak_rss_kib=%ld db_bytes=%llu\n",
                static_cast<long long>(lines), seconds, static_cast<double>(lines) / seconds,
                PeakRssKib(), static_cast<unsigned long long>(ec ? 0 : db_bytes));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: renewmatch_ingest_baseline SUPPLY_JSON DB_PATH\n";
        return 2;
    }
    return Run(argv[1], argv[2]);
}
