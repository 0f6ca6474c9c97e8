// Golden ranking tests: every file in tests/data/matcher/*.txt is one scenario, run by one
// parameterised test. A new scenario is a new file. Format (one record per line, '#' comments,
// values with spaces in double quotes):
//
//   today 2026-03-01
//   k 5
//   chains data/chains/chains.txt            (optional; path relative to the source root)
//   supply id=1 vendor=10 title="..." model=VMC-850 class=42621100-6 price=380000 ...
//   demand id=100 title="..." class=42600000-2 qty=2 budget=800000 ...
//   expect 1 3                               (supply ids in rank order; exactly these)
//   rejected requirements=1 region=1         (counts by first failing filter; others are 0)
//   reverse_expect 100                       (optional: MatchSupply for the first supply)
//
// Supply keys: id vendor title desc brand model class price valid moq capacity lead areas
//   excluded region cert=TYPE[:YYYY-MM-DD] attr=NAME|VALUE|UNIT (VALUE "a..b" = range, or text)
//   grade local first secondhand segment status confirmed
// Demand keys: id title desc class qty budget currency region needby deadline cert energy
//   localmin secondhand segment status req=NAME|SPEC|UNIT[|mandatory] where SPEC is ">=x",
//   "<=x", "a..b", "~x" (expected), "=TEXT" or "in:A,B".
#include "matcher/dates.hpp"
#include "matcher/engine.hpp"
#include "tests/support/test_util.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace renewmatch::matcher {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> SplitQuoted(const std::string& line) {
    std::vector<std::string> out;
    std::string current;
    bool quoted = false;
    bool any = false;
    for (char c : line) {
        if (c == '"') {
            quoted = !quoted;
            any = true;
        } else if (c == ' ' && !quoted) {
            if (any) out.push_back(current);
            current.clear();
            any = false;
        } else {
            current.push_back(c);
            any = true;
        }
    }
    if (any) out.push_back(current);
    return out;
}

std::vector<std::string> Split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, sep)) out.push_back(item);
    return out;
}

Day ParseDay(const std::string& text) {
    const auto day = ParseIsoDay(text);
    if (!day) throw std::runtime_error("bad date '" + text + "'");
    return *day;
}

struct Scenario {
    Day today = 0;
    std::size_t k = 10;
    std::string chains_path;
    std::vector<SupplyLine> supplies;
    std::vector<DemandLine> demands;
    std::vector<LineId> expect;
    bool has_expect = false;
    std::map<std::string, std::uint64_t> rejected;
    std::vector<LineId> reverse_expect;
    bool has_reverse = false;
};

Classification ParseClass(const std::string& value) {
    Classification c;
    const auto colon = value.find(':');
    if (colon != std::string::npos) {
        c.scheme = value.substr(0, colon);
        c.id = value.substr(colon + 1);
    } else {
        c.id = value;
    }
    return c;
}

SupplyLine ParseSupply(const std::vector<std::string>& fields) {
    SupplyLine s;
    for (std::size_t i = 1; i < fields.size(); ++i) {
        const auto eq = fields[i].find('=');
        if (eq == std::string::npos) throw std::runtime_error("expected key=value: " + fields[i]);
        const std::string key = fields[i].substr(0, eq);
        const std::string value = fields[i].substr(eq + 1);
        if (key == "id")
            s.id = std::stoll(value);
        else if (key == "vendor")
            s.vendor_id = std::stoll(value);
        else if (key == "title")
            s.title = value;
        else if (key == "desc")
            s.description = value;
        else if (key == "brand")
            s.brand = value;
        else if (key == "model")
            s.model = value;
        else if (key == "class")
            s.classification = ParseClass(value);
        else if (key == "price")
            s.price_amount = std::stod(value);
        else if (key == "valid")
            s.price_valid_until = ParseDay(value);
        else if (key == "moq")
            s.min_order_qty = std::stod(value);
        else if (key == "capacity")
            s.capacity_per_month = std::stod(value);
        else if (key == "lead")
            s.lead_time_days = std::stoi(value);
        else if (key == "areas")
            s.service_areas = Split(value, ',');
        else if (key == "excluded")
            s.excluded_areas = Split(value, ',');
        else if (key == "region")
            s.vendor_region = value;
        else if (key == "cert") {
            Certification cert;
            const auto parts = Split(value, ':');
            cert.type = parts.at(0);
            if (parts.size() > 1) cert.expires_at = ParseDay(parts[1]);
            s.certifications.push_back(cert);
        } else if (key == "attr") {
            const auto parts = Split(value, '|');
            Attribute a;
            a.name = parts.at(0);
            const std::string v = parts.at(1);
            if (parts.size() > 2) a.unit = parts[2];
            const auto dots = v.find("..");
            char* end = nullptr;
            if (dots != std::string::npos) {
                a.min = std::stod(v.substr(0, dots));
                a.max = std::stod(v.substr(dots + 2));
            } else if (const double d = std::strtod(v.c_str(), &end);
                       end != v.c_str() && *end == 0) {
                a.value = d;
            } else {
                a.text = v;
            }
            s.attributes.push_back(a);
        } else if (key == "grade")
            s.energy_efficiency_grade = std::stoi(value);
        else if (key == "local")
            s.localization_rate = std::stod(value);
        else if (key == "first")
            s.first_of_kind = value == "1";
        else if (key == "secondhand")
            s.second_hand = value == "1";
        else if (key == "segment")
            s.chain_segment = value;
        else if (key == "status")
            s.status = value;
        else if (key == "confirmed")
            s.last_confirmed_at = ParseDay(value);
        else
            throw std::runtime_error("unknown supply key '" + key + "'");
    }
    return s;
}

Requirement ParseRequirement(const std::string& value) {
    const auto parts = Split(value, '|');
    Requirement r;
    r.name = parts.at(0);
    const std::string spec = parts.at(1);
    if (parts.size() > 2) r.unit = parts[2];
    r.mandatory = parts.size() > 3 && parts[3] == "mandatory";
    if (spec.rfind(">=", 0) == 0)
        r.min = std::stod(spec.substr(2));
    else if (spec.rfind("<=", 0) == 0)
        r.max = std::stod(spec.substr(2));
    else if (spec.rfind("~", 0) == 0)
        r.expected = std::stod(spec.substr(1));
    else if (spec.rfind("=", 0) == 0)
        r.text_equals = spec.substr(1);
    else if (spec.rfind("in:", 0) == 0)
        r.allowed_values = Split(spec.substr(3), ',');
    else if (const auto dots = spec.find(".."); dots != std::string::npos) {
        r.min = std::stod(spec.substr(0, dots));
        r.max = std::stod(spec.substr(dots + 2));
    } else {
        throw std::runtime_error("bad requirement spec '" + spec + "'");
    }
    return r;
}

DemandLine ParseDemand(const std::vector<std::string>& fields) {
    DemandLine d;
    for (std::size_t i = 1; i < fields.size(); ++i) {
        const auto eq = fields[i].find('=');
        if (eq == std::string::npos) throw std::runtime_error("expected key=value: " + fields[i]);
        const std::string key = fields[i].substr(0, eq);
        const std::string value = fields[i].substr(eq + 1);
        if (key == "id")
            d.id = std::stoll(value);
        else if (key == "title")
            d.title = value;
        else if (key == "desc")
            d.description = value;
        else if (key == "class")
            d.classification = ParseClass(value);
        else if (key == "qty")
            d.quantity = std::stod(value);
        else if (key == "budget")
            d.budget_amount = std::stod(value);
        else if (key == "currency")
            d.budget_currency = value;
        else if (key == "region")
            d.delivery_region = value;
        else if (key == "needby")
            d.need_by = ParseDay(value);
        else if (key == "deadline")
            d.response_deadline = ParseDay(value);
        else if (key == "cert")
            d.certifications_required.push_back(value);
        else if (key == "energy")
            d.energy_efficiency_min = std::stoi(value);
        else if (key == "localmin")
            d.localization_rate_min = std::stod(value);
        else if (key == "secondhand")
            d.second_hand_allowed = value == "1";
        else if (key == "segment")
            d.chain_segment = value;
        else if (key == "status")
            d.status = value;
        else if (key == "req")
            d.requirements.push_back(ParseRequirement(value));
        else
            throw std::runtime_error("unknown demand key '" + key + "'");
    }
    return d;
}

Scenario LoadScenario(const fs::path& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path.string());
    Scenario scenario;
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (const auto hash = line.find(" #"); hash != std::string::npos) line.resize(hash);
        if (line.empty() || line[0] == '#') continue;
        try {
            const auto fields = SplitQuoted(line);
            if (fields.empty()) continue;
            const std::string& kind = fields[0];
            if (kind == "today")
                scenario.today = ParseDay(fields.at(1));
            else if (kind == "k")
                scenario.k = std::stoul(fields.at(1));
            else if (kind == "chains")
                scenario.chains_path = fields.at(1);
            else if (kind == "supply")
                scenario.supplies.push_back(ParseSupply(fields));
            else if (kind == "demand")
                scenario.demands.push_back(ParseDemand(fields));
            else if (kind == "expect" || kind == "reverse_expect") {
                auto& target = kind == "expect" ? scenario.expect : scenario.reverse_expect;
                (kind == "expect" ? scenario.has_expect : scenario.has_reverse) = true;
                for (std::size_t i = 1; i < fields.size(); ++i)
                    target.push_back(std::stoll(fields[i]));
            } else if (kind == "rejected") {
                for (std::size_t i = 1; i < fields.size(); ++i) {
                    const auto eq = fields[i].find('=');
                    scenario.rejected[fields[i].substr(0, eq)] =
                        std::stoull(fields[i].substr(eq + 1));
                }
            } else {
                throw std::runtime_error("unknown record '" + kind + "'");
            }
        } catch (const std::exception& e) {
            throw std::runtime_error(path.string() + ":" + std::to_string(line_no) + ": " +
                                     e.what());
        }
    }
    return scenario;
}

std::vector<std::string> ScenarioFiles() {
    std::vector<std::string> out;
    const fs::path dir = fs::path(renewmatch::testing::SourceDir()) / "tests/data/matcher";
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.path().extension() == ".txt") out.push_back(entry.path().filename().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, RanksAsDeclared) {
    const fs::path path =
        fs::path(renewmatch::testing::SourceDir()) / "tests/data/matcher" / GetParam();
    const Scenario scenario = LoadScenario(path);
    ASSERT_EQ(scenario.demands.size(), 1u) << "one demand per scenario";
    ASSERT_TRUE(scenario.has_expect) << "a scenario must declare its expected ranking";
    std::string error;
    const auto units = UnitSystem::Load(&error);
    ASSERT_NE(units, nullptr) << error;
    std::optional<ChainMap> chains;
    if (!scenario.chains_path.empty()) {
        std::ifstream in(fs::path(renewmatch::testing::SourceDir()) / scenario.chains_path);
        ASSERT_TRUE(in) << scenario.chains_path;
        std::stringstream text;
        text << in.rdbuf();
        chains = ParseChainMap(text.str(), &error);
        ASSERT_TRUE(chains) << error;
    }
    MatchContext context;
    context.today = scenario.today;
    context.units = units.get();
    context.chains = chains ? &*chains : nullptr;
    const MatchConfig config;
    const auto snapshot = SupplySnapshot::Build(scenario.supplies);
    const MatchResult result =
        MatchDemand(*snapshot, scenario.demands[0], scenario.k, config, context);
    std::vector<LineId> got;
    std::string explain;
    for (const Candidate& c : result.candidates) {
        got.push_back(c.id);
        explain += "  id " + std::to_string(c.id) + " score " + std::to_string(c.score) + ":";
        for (const auto& f : c.features) {
            explain += " " + std::string(FeatureName(f.feature)) + "=" + std::to_string(f.value);
        }
        explain += "\n";
    }
    EXPECT_EQ(got, scenario.expect) << explain;
    for (std::size_t f = 0; f < kFilterCount; ++f) {
        const std::string name(FilterName(static_cast<Filter>(f)));
        auto it = scenario.rejected.find(name);
        const std::uint64_t want = it == scenario.rejected.end() ? 0 : it->second;
        EXPECT_EQ(result.rejected[f], want) << "rejected by " << name;
    }
    for (const auto& [name, count] : scenario.rejected) {
        bool known = false;
        for (std::size_t f = 0; f < kFilterCount; ++f)
            known = known || FilterName(static_cast<Filter>(f)) == name;
        EXPECT_TRUE(known) << "unknown filter name in scenario: " << name;
    }
    if (scenario.has_reverse) {
        const auto demands = DemandSnapshot::Build(scenario.demands);
        const MatchResult reverse =
            MatchSupply(*demands, scenario.supplies.at(0), scenario.k, config, context);
        std::vector<LineId> reverse_got;
        for (const Candidate& c : reverse.candidates) reverse_got.push_back(c.id);
        EXPECT_EQ(reverse_got, scenario.reverse_expect);
    }
}

INSTANTIATE_TEST_SUITE_P(Scenarios,
                         GoldenTest,
                         ::testing::ValuesIn(ScenarioFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                             std::string name = param.param.substr(0, param.param.size() - 4);
                             for (char& c : name) {
                                 if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                             }
                             return name;
                         });

}  // namespace
}  // namespace renewmatch::matcher
