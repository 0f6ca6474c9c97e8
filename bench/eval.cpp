// renewmatch_eval: ranking quality of the matcher on the public product-matching benchmarks in
// ../shared/data/eval (read in place, never copied). For each set one side becomes demand lines
// and the other the supply catalog; the catalog is ranked for every demand with the DEFAULT
// MatchConfig (the same for every set; no set-specific code path or weight) and P@1, recall@10,
// MRR@10, NDCG@10 (and MAP@10 where a query has several correct answers) are printed beside the
// TF-IDF floor from ../shared/data/README.md.
//
// Field mapping (generic, the same for every set): name/title -> title; description ->
// description; brand/manufacturer -> supply brand, and appended to the demand title (a buyer who
// names a brand asks for it); price -> supply unit price and demand budget (quantity 1, the
// set's currency; 0 means unknown); attribute pairs -> supply attributes (text) and demand
// non-mandatory text requirements, and their values are appended to the description.
//
// Usage: renewmatch_eval [EVAL_DIR]   (default ../shared/data/eval relative to the repo root)
#include "matcher/engine.hpp"

#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

namespace fs = std::filesystem;
using namespace renewmatch::matcher;

namespace {

// CSV with a configurable delimiter, RFC 4180 quotes, records may span lines inside quotes.
std::vector<std::vector<std::string>> ReadCsv(const fs::path& path, char delimiter) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::string text = buffer.str();
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    bool field_started = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field.push_back(c);
            }
            continue;
        }
        if (c == '"' && !field_started) {
            quoted = true;
            field_started = true;
        } else if (c == delimiter) {
            row.push_back(field);
            field.clear();
            field_started = false;
        } else if (c == '\n' || c == '\r') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
            row.push_back(field);
            field.clear();
            field_started = false;
            rows.push_back(std::move(row));
            row.clear();
        } else {
            field.push_back(c);
            field_started = true;
        }
    }
    if (field_started || !row.empty()) {
        row.push_back(field);
        rows.push_back(std::move(row));
    }
    return rows;
}

std::optional<double> ParsePrice(const std::string& text) {
    std::string digits;
    for (char c : text) {
        if ((c >= '0' && c <= '9') || c == '.') digits.push_back(c);
    }
    if (digits.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(digits.c_str(), &end);
    if (end == digits.c_str() || !(v > 0)) return std::nullopt;
    return v;
}

struct Record {
    std::string id;
    std::string title;
    std::string description;
    std::string brand;
    std::optional<double> price;
    std::string currency = "USD";
    std::vector<std::pair<std::string, std::string>> attributes;
};

SupplyLine ToSupply(const Record& r, LineId id) {
    SupplyLine s;
    s.id = id;
    s.vendor_id = id;
    s.sku = r.id;
    s.title = r.title;
    s.description = r.description;
    s.brand = r.brand;
    s.price_amount = r.price;
    s.price_currency = r.currency;
    for (const auto& [name, value] : r.attributes) {
        Attribute a;
        a.name = name;
        a.text = value;
        s.attributes.push_back(a);
        s.description += " " + value;
    }
    return s;
}

DemandLine ToDemand(const Record& r, LineId id) {
    DemandLine d;
    d.id = id;
    d.ref = r.id;
    d.title = r.title;
    if (!r.brand.empty()) d.title += " " + r.brand;
    d.description = r.description;
    d.budget_amount = r.price;
    d.budget_currency = r.currency;
    for (const auto& [name, value] : r.attributes) {
        Requirement req;
        req.name = name;
        req.text_equals = value;
        d.requirements.push_back(req);
        d.description += " " + value;
    }
    return d;
}

struct EvalSet {
    std::string name;
    std::vector<Record> demands;
    std::vector<Record> catalog;
    // For each demand index: the catalog indices that are correct.
    std::vector<std::vector<std::size_t>> relevant;
    bool leave_one_out = false;  // demands and catalog are the same pool; skip the query itself
    std::string floor;           // the README's TF-IDF floor, printed beside
};

struct Metrics {
    double p1 = 0, recall10 = 0, recall10_capped = 0, mrr10 = 0, ndcg10 = 0, map10 = 0;
    std::size_t queries = 0;
    double seconds = 0;
};

Metrics Evaluate(const EvalSet& set, const MatchConfig& config, const MatchContext& context) {
    std::vector<SupplyLine> lines;
    for (std::size_t i = 0; i < set.catalog.size(); ++i) {
        lines.push_back(ToSupply(set.catalog[i], static_cast<LineId>(i)));
    }
    const auto snapshot = SupplySnapshot::Build(std::move(lines));
    Metrics m;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t q = 0; q < set.demands.size(); ++q) {
        const auto& rel = set.relevant[q];
        if (rel.empty()) continue;
        const DemandLine demand = ToDemand(set.demands[q], static_cast<LineId>(1000000 + q));
        const MatchResult result =
            MatchDemand(*snapshot, demand, set.leave_one_out ? 11 : 10, config, context);
        std::vector<std::size_t> ranked;
        for (const Candidate& c : result.candidates) {
            const auto idx = static_cast<std::size_t>(c.id);
            if (set.leave_one_out && idx == q) continue;
            ranked.push_back(idx);
            if (ranked.size() == 10) break;
        }
        const std::set<std::size_t> relevant(rel.begin(), rel.end());
        ++m.queries;
        double dcg = 0, idcg = 0, ap = 0;
        std::size_t hits = 0;
        bool first = true;
        for (std::size_t r = 0; r < ranked.size(); ++r) {
            if (!relevant.contains(ranked[r])) continue;
            ++hits;
            dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
            ap += static_cast<double>(hits) / static_cast<double>(r + 1);
            if (first) {
                m.mrr10 += 1.0 / static_cast<double>(r + 1);
                if (r == 0) m.p1 += 1;
                first = false;
            }
        }
        for (std::size_t r = 0; r < std::min<std::size_t>(10, relevant.size()); ++r) {
            idcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
        }
        m.recall10 += static_cast<double>(hits) / static_cast<double>(relevant.size());
        m.recall10_capped += static_cast<double>(hits) /
                             static_cast<double>(std::min<std::size_t>(10, relevant.size()));
        m.ndcg10 += dcg / idcg;
        m.map10 += ap / static_cast<double>(std::min<std::size_t>(10, relevant.size()));
    }
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double n = static_cast<double>(std::max<std::size_t>(1, m.queries));
    m.p1 /= n;
    m.recall10 /= n;
    m.recall10_capped /= n;
    m.mrr10 /= n;
    m.ndcg10 /= n;
    m.map10 /= n;
    return m;
}

// ---- loaders --------------------------------------------------------------------------------

std::vector<Record> LoadDelimited(const fs::path& path, char delimiter, bool has_manufacturer) {
    auto rows = ReadCsv(path, delimiter);
    std::vector<Record> out;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        auto& row = rows[i];
        if (row.size() < 3) continue;
        Record r;
        r.id = row[0];
        r.title = row[1];
        r.description = row[2];
        if (has_manufacturer) {
            if (row.size() > 3) r.brand = row[3];
            if (row.size() > 4) r.price = ParsePrice(row[4]);
        } else if (row.size() > 3) {
            r.price = ParsePrice(row[3]);
        }
        out.push_back(std::move(r));
    }
    return out;
}

EvalSet LoadPairSet(const fs::path& dir,
                    const std::string& name,
                    const std::string& a,
                    const std::string& b,
                    char delimiter,
                    bool manufacturer,
                    std::string floor) {
    EvalSet set;
    set.name = name;
    set.floor = std::move(floor);
    set.demands = LoadDelimited(dir / a, delimiter, manufacturer);
    set.catalog = LoadDelimited(dir / b, delimiter, manufacturer);
    std::unordered_map<std::string, std::size_t> demand_index, catalog_index;
    for (std::size_t i = 0; i < set.demands.size(); ++i) demand_index[set.demands[i].id] = i;
    for (std::size_t i = 0; i < set.catalog.size(); ++i) catalog_index[set.catalog[i].id] = i;
    set.relevant.resize(set.demands.size());
    auto gt = ReadCsv(dir / "gt.csv", delimiter);
    for (std::size_t i = 1; i < gt.size(); ++i) {
        if (gt[i].size() < 2) continue;
        auto d = demand_index.find(gt[i][0]);
        auto c = catalog_index.find(gt[i][1]);
        if (d != demand_index.end() && c != catalog_index.end()) {
            set.relevant[d->second].push_back(c->second);
        }
    }
    return set;
}

std::string StripDotZero(std::string s) {
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
    return s;
}

EvalSet LoadWdc(const fs::path& dir) {
    EvalSet set;
    set.name = "WDC-Block";
    set.floor = "0.92 / 0.77 / - / 0.78";
    std::vector<std::string> demand_cluster, catalog_cluster;
    auto load = [](const fs::path& path, std::vector<Record>& out,
                   std::vector<std::string>& clusters) {
        auto rows = ReadCsv(path, ',');
        for (std::size_t i = 1; i < rows.size(); ++i) {
            auto& row = rows[i];
            if (row.size() < 8) continue;
            Record r;
            r.id = row[0];
            r.brand = row[1];
            r.title = row[2];
            r.description = row[3];
            r.price = ParsePrice(row[4]);
            r.currency = row[5];
            out.push_back(std::move(r));
            clusters.push_back(StripDotZero(row[7]));
        }
    };
    load(dir / "tableA.csv", set.demands, demand_cluster);
    load(dir / "tableB_short.csv", set.catalog, catalog_cluster);
    std::unordered_map<std::string, std::vector<std::size_t>> by_cluster;
    for (std::size_t i = 0; i < catalog_cluster.size(); ++i)
        by_cluster[catalog_cluster[i]].push_back(i);
    set.relevant.resize(set.demands.size());
    for (std::size_t i = 0; i < set.demands.size(); ++i) {
        auto it = by_cluster.find(demand_cluster[i]);
        if (it != by_cluster.end()) set.relevant[i] = it->second;
    }
    return set;
}

// Ali: the catalog is every record of the category; the queries are the records on the left of
// the category's test-split pairs that have at least one positive; the correct answers are all
// other records of the query's cluster (the ground truth is cluster-complete).
EvalSet LoadAli(const fs::path& path,
                const fs::path& test_pairs,
                const std::string& name,
                std::string floor) {
    EvalSet set;
    set.name = name;
    set.floor = std::move(floor);
    set.leave_one_out = true;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    std::string line;
    std::vector<std::string> clusters;
    while (std::getline(in, line)) {
        rapidjson::Document doc;
        doc.Parse(line.c_str());
        if (doc.HasParseError() || !doc.IsObject()) continue;
        auto str = [&](const char* key) -> std::string {
            if (!doc.HasMember(key)) return {};
            const auto& v = doc[key];
            if (v.IsString()) return v.GetString();
            if (v.IsInt64()) return std::to_string(v.GetInt64());
            if (v.IsUint64()) return std::to_string(v.GetUint64());
            if (v.IsDouble()) return std::to_string(static_cast<long long>(v.GetDouble()));
            return {};
        };
        Record r;
        r.id = str("id");
        r.title = str("title");
        r.description = str("cate_name");
        const std::string pv = str("pv_pairs");
        std::size_t pos = 0;
        while (pos < pv.size()) {
            std::size_t end = pv.find("#;#", pos);
            if (end == std::string::npos) end = pv.size();
            const std::string pair = pv.substr(pos, end - pos);
            const std::size_t sep = pair.find("#:#");
            if (sep != std::string::npos)
                r.attributes.emplace_back(pair.substr(0, sep), pair.substr(sep + 3));
            pos = end + 3;
        }
        clusters.push_back(str("cluster_id"));
        set.catalog.push_back(std::move(r));
    }
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < set.catalog.size(); ++i) index[set.catalog[i].id] = i;
    std::set<std::size_t> queries;
    const auto pairs = ReadCsv(test_pairs, ',');
    for (std::size_t i = 1; i < pairs.size(); ++i) {
        if (pairs[i].size() < 3 || pairs[i][2] != "1") continue;
        auto it = index.find(pairs[i][0]);
        if (it != index.end()) queries.insert(it->second);
    }
    std::unordered_map<std::string, std::vector<std::size_t>> by_cluster;
    for (std::size_t i = 0; i < clusters.size(); ++i) by_cluster[clusters[i]].push_back(i);
    set.demands.assign(set.catalog.size(), Record{});
    set.relevant.resize(set.catalog.size());
    for (std::size_t q : queries) {
        set.demands[q] = set.catalog[q];
        for (std::size_t j : by_cluster[clusters[q]]) {
            if (j != q) set.relevant[q].push_back(j);
        }
    }
    return set;
}

}  // namespace

int main(int argc, char** argv) {
    fs::path root = "../shared/data/eval";
    std::string only;    // --sets=Abt-Buy,WDC-Block (prefix match); default all
    MatchConfig config;  // the shipped defaults, identical for every set
    bool custom = false;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.rfind("--sets=", 0) == 0) {
            only = arg.substr(7);
        } else if (arg.rfind("--weight=", 0) == 0) {
            // Exploration only: --weight=price:0.1. The recorded table never uses this.
            const std::string spec = arg.substr(9);
            const auto colon = spec.find(':');
            bool found = false;
            for (std::size_t f = 0; f < kFeatureCount; ++f) {
                if (FeatureName(static_cast<Feature>(f)) == spec.substr(0, colon)) {
                    config.weights[f] = std::stod(spec.substr(colon + 1));
                    found = true;
                }
            }
            if (!found) {
                std::cerr << "renewmatch_eval: unknown feature in " << arg << "\n";
                return 2;
            }
            custom = true;
        } else {
            root = arg;
        }
    }
    std::string error;
    const auto units = UnitSystem::Load(&error);
    if (!units) {
        std::cerr << "renewmatch_eval: " << error << "\n";
        return 1;
    }
    MatchContext context;
    context.today = 0;
    context.units = units.get();
    std::vector<EvalSet> sets;
    try {
        sets.push_back(LoadPairSet(root / "abt-buy", "Abt-Buy", "abt.csv", "buy.csv", '|', false,
                                   "0.71 / 0.95 / - / 0.83"));
        sets.push_back(LoadPairSet(root / "amazon-google", "Amazon-Google", "amazon.csv", "gp.csv",
                                   '#', true, "0.59 / 0.95 / - / 0.78"));
        sets.push_back(LoadWdc(root / "wdc-block"));
        sets.push_back(LoadAli(root / "ali-zh/records_clothing.jsonl",
                               root / "ali-zh/pairs_clothing_test.csv", "Ali clothing",
                               "0.86-0.90 / 0.67-0.74 / - / 0.71-0.78"));
        sets.push_back(LoadAli(root / "ali-zh/records_shoes.jsonl",
                               root / "ali-zh/pairs_shoes_test.csv", "Ali shoes",
                               "0.86-0.90 / 0.67-0.74 / - / 0.71-0.78"));
    } catch (const std::exception& e) {
        std::cerr << "renewmatch_eval: " << e.what() << "\n";
        return 1;
    }
    std::printf("config %s (%s; same for every set)\n", config.version.c_str(),
                custom ? "CUSTOM WEIGHTS, exploration only" : "defaults");
    std::printf("%-14s %7s %7s %7s %7s %7s %7s %7s  %s\n", "set", "queries", "P@1", "R@10",
                "R@10cap", "MRR@10", "NDCG@10", "MAP@10", "TF-IDF floor P@1 / R@10 / MRR / NDCG");
    for (const EvalSet& set : sets) {
        if (!only.empty()) {
            bool wanted = false;
            std::stringstream names(only);
            std::string name;
            while (std::getline(names, name, ',')) wanted = wanted || set.name.rfind(name, 0) == 0;
            if (!wanted) continue;
        }
        const Metrics m = Evaluate(set, config, context);
        std::printf("%-14s %7zu %7.3f %7.3f %7.3f %7.3f %7.3f %7.3f  %s  (%.1fs)\n",
                    set.name.c_str(), m.queries, m.p1, m.recall10, m.recall10_capped, m.mrr10,
                    m.ndcg10, m.map10, set.floor.c_str(), m.seconds);
        std::fflush(stdout);
    }
    return 0;
}
