// The inverted index's segment build (matcher/index.hpp, SegmentBuilder) against a naive
// reference built straight from IndexTerms/ClassTerms with one ordered map per term, and the
// builder's independence from how lines are split into blocks and which threads analyse them:
//   * dictionary = every distinct term, numbered in term order; offsets/postings = per term the
//     (doc, tf) of every line holding it, in doc order; lengths = sum of weighted tf; local =
//     (id, doc) sorted; DocumentFrequency = posting count;
//   * IndexTerms (sorted vectors, no map per line) equals its earlier hash-map definition,
//     copied here as the oracle, on lines whose brand/model repeat or extend the title;
//   * blocks of irregular sizes analysed concurrently on several threads (so several slot
//     dictionaries are merged) give the same segment, field for field, as Snapshot::Build.
#include "matcher/index.hpp"

#include "matcher/text.hpp"
#include "tests/support/index_compare.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_map>

namespace renewmatch::matcher {
namespace {

const std::vector<std::string> kWords = {
    "数控",  "车床",     "立式",   "加工中心", "空压机",  "螺杆",  "变频",    "水泵",
    "离心",  "叉车",     "pump",   "Motor",    "servo",   "laser", "cutting", "ROBOT",
    "机",    "VMC-850",  "VMC850", "vmc 850",  "CK6150",  "FANUC", "Siemens", "ＡＢＢ",
    "1.5匹", "12000rpm", "电池包", "注塑机",   "HTF-530", "Ⅱ型",   "ｘ-20",   "a/b.c_d-9"};
const std::vector<std::string> kClasses = {"",           "42621100-6", "42622000-6", "42990000-2",
                                           "42120000-6", "31440000-2", "34144900-7"};

class Lines {
  public:
    explicit Lines(unsigned seed) : rng_(seed) {}
    int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
    std::string Text(int lo, int hi) {
        std::string out;
        const int n = Int(lo, hi);
        for (int i = 0; i < n; ++i) {
            out += (i > 0 ? " " : "") +
                   kWords[static_cast<std::size_t>(Int(0, static_cast<int>(kWords.size()) - 1))];
        }
        return out;
    }
    std::string Class() {
        return kClasses[static_cast<std::size_t>(Int(0, static_cast<int>(kClasses.size()) - 1))];
    }
    SupplyLine Supply(LineId id) {
        SupplyLine s;
        s.id = id;
        s.title = Text(1, 5);
        if (Int(0, 1) == 1) s.description = Text(0, 12);
        if (Int(0, 2) == 0) s.brand = Text(1, 1);
        if (Int(0, 2) == 0) s.model = Text(1, 1);
        s.classification.scheme = "CPV";
        s.classification.id = Class();
        if (Int(0, 3) == 0) s.additional_classifications.push_back({"CPV", Class()});
        return s;
    }
    DemandLine Demand(LineId id) {
        DemandLine d;
        d.id = id;
        d.title = Text(1, 5);
        if (Int(0, 1) == 1) d.description = Text(0, 12);
        d.classification.scheme = "CPV";
        d.classification.id = Class();
        return d;
    }

  private:
    std::mt19937 rng_;
};

// Same doc order and titles, and the same index structures (tests/support/index_compare.hpp).
template <class Line>
void ExpectSameSegment(const Segment<Line>& a, const Segment<Line>& b) {
    renewmatch::testing::ExpectSameSegment(
        a, b, [](const Line& x, const Line& y) { ASSERT_EQ(x.title, y.title) << "line " << x.id; });
}

const Classification& Primary(const SupplyLine& l) {
    return l.classification;
}
const Classification& Primary(const DemandLine& l) {
    return l.classification;
}

// The doc order (index.hpp), computed with strings: primary class scheme, then code, then the
// title's first 16 bytes (each cut to its packed width, NUL-padded), then id.
template <class Line>
std::vector<Line> InDocOrder(std::vector<Line> lines) {
    auto cut = [](const std::string& s, std::size_t n) {
        std::string out = s.substr(0, n);
        out.resize(n, '\0');
        return out;
    };
    std::stable_sort(lines.begin(), lines.end(), [&](const Line& a, const Line& b) {
        const auto ka = std::make_tuple(cut(Primary(a).scheme, 8), cut(Primary(a).id, 16),
                                        cut(a.title, 16), a.id);
        const auto kb = std::make_tuple(cut(Primary(b).scheme, 8), cut(Primary(b).id, 16),
                                        cut(b.title, 16), b.id);
        return ka < kb;
    });
    return lines;
}

// The segment Build must produce, computed the obvious way (docs in the doc order).
template <class Line>
void ExpectMatchesReference(const std::vector<Line>& input) {
    const std::vector<Line> lines = InDocOrder(input);
    const IndexOptions options;
    std::map<std::string, std::vector<Posting>> postings;
    std::vector<std::uint32_t> lengths;
    std::uint64_t total = 0;
    for (std::uint32_t doc = 0; doc < lines.size(); ++doc) {
        std::uint32_t length = 0;
        for (const auto& [term, tf] : IndexTerms(lines[doc], options)) {
            postings[term].push_back({doc, tf});
            length += tf;
        }
        for (const std::string& term :
             ClassTerms(Primary(lines[doc]), lines[doc].additional_classifications)) {
            postings[term].push_back({doc, 0});
        }
        lengths.push_back(length);
        total += length;
    }
    const auto snapshot = Snapshot<Line>::Build(input);
    ASSERT_EQ(snapshot->segment_count(), 1u);
    const Segment<Line>& segment = snapshot->segment(0);
    ASSERT_EQ(segment.lines.size(), lines.size());
    for (std::uint32_t doc = 0; doc < lines.size(); ++doc) {
        ASSERT_EQ(segment.lines[doc].id, lines[doc].id) << "doc " << doc;
        ASSERT_EQ(segment.ids[doc], lines[doc].id) << "doc " << doc;
    }
    EXPECT_EQ(segment.lengths, lengths);
    EXPECT_EQ(segment.total_length, total);
    EXPECT_EQ(snapshot->total_length(), total);
    EXPECT_EQ(snapshot->live_count(), lines.size());
    ASSERT_EQ(segment.dictionary.size(), postings.size());
    ASSERT_EQ(segment.offsets.size(), postings.size() + 1);
    std::uint32_t t = 0;
    for (const auto& [term, expected] : postings) {
        auto it = segment.dictionary.find(term);
        ASSERT_NE(it, segment.dictionary.end()) << term;
        EXPECT_EQ(it->second, t) << term;
        const auto found = segment.Find(term);
        ASSERT_EQ(found.size(), expected.size()) << term;
        for (std::size_t i = 0; i < expected.size(); ++i) {
            EXPECT_EQ(found[i].doc, expected[i].doc) << term;
            EXPECT_EQ(found[i].tf, expected[i].tf) << term;
        }
        EXPECT_EQ(snapshot->DocumentFrequency(term), expected.size()) << term;
        ++t;
    }
    for (std::uint32_t doc = 0; doc < lines.size(); ++doc) {
        EXPECT_EQ(segment.LocalDoc(lines[doc].id), static_cast<std::int64_t>(doc));
    }
    EXPECT_TRUE(std::is_sorted(segment.local.begin(), segment.local.end()));
}

// IndexTerms as it was defined with a hash map per line (the oracle for the sorted-vector form).
std::vector<std::pair<std::string, std::uint32_t>> MapIndexTerms(const SupplyLine& line,
                                                                 std::uint32_t repeat) {
    auto add = [](std::string_view text, std::uint32_t weight,
                  std::unordered_map<std::string, std::uint32_t>& counts) {
        if (text.empty()) return;
        for (Term& term : Analyze(text)) counts[std::move(term.text)] += weight;
    };
    std::unordered_map<std::string, std::uint32_t> counts;
    add(line.title, repeat, counts);
    std::unordered_map<std::string, std::uint32_t> extra;
    add(line.brand, repeat, extra);
    add(line.model, repeat, extra);
    const std::string code = ModelCodeTerm(line.model);
    if (!code.empty()) extra[code] = repeat;
    for (auto& [term, tf] : extra) {
        if (!counts.contains(term)) counts[term] = tf;
    }
    add(line.description, 1, counts);
    std::vector<std::pair<std::string, std::uint32_t>> out(counts.begin(), counts.end());
    std::sort(out.begin(), out.end());
    return out;
}

TEST(IndexTermsTest, SortedFormEqualsTheHashMapDefinition) {
    Lines gen(3);
    IndexOptions options;
    for (int i = 0; i < 3000; ++i) {
        SupplyLine line = gen.Supply(i + 1);
        // Brand/model often repeat title words, and the model's code may already be a term.
        if (i % 3 == 0) line.model = line.title.substr(0, line.title.find(' '));
        if (i % 5 == 0) line.brand = line.model;
        if (i % 7 == 0) line.title += " " + line.model + " " + line.model;
        options.title_repeat = static_cast<std::uint32_t>(1 + i % 3);
        ASSERT_EQ(IndexTerms(line, options), MapIndexTerms(line, options.title_repeat))
            << line.title << " | " << line.brand << " | " << line.model << " | "
            << line.description;
        DemandLine demand = gen.Demand(i + 1);
        std::map<std::string, std::uint32_t> want;
        for (const std::string& t : AnalyzeToStrings(demand.title)) want[t] += options.title_repeat;
        for (const std::string& t : AnalyzeToStrings(demand.description)) want[t] += 1;
        ASSERT_EQ(IndexTerms(demand, options),
                  (std::vector<std::pair<std::string, std::uint32_t>>(want.begin(), want.end())))
            << demand.title;
    }
}

TEST(SegmentBuilderTest, SupplyBuildMatchesANaiveReference) {
    Lines gen(5);
    std::vector<SupplyLine> lines;
    // More than two build blocks (1,024 lines each), ids not in doc order.
    for (int i = 0; i < 2500; ++i)
        lines.push_back(gen.Supply(static_cast<LineId>((i * 7919) % 100003 + 1)));
    ExpectMatchesReference(lines);
}

TEST(SegmentBuilderTest, DemandBuildMatchesANaiveReference) {
    Lines gen(6);
    std::vector<DemandLine> lines;
    for (int i = 0; i < 1500; ++i) lines.push_back(gen.Demand(i + 1));
    ExpectMatchesReference(lines);
}

TEST(SegmentBuilderTest, EmptyBuildHasNoTerms) {
    const auto snapshot = SupplySnapshot::Build({});
    ASSERT_EQ(snapshot->segment_count(), 1u);
    EXPECT_TRUE(snapshot->segment(0).dictionary.empty());
    EXPECT_EQ(snapshot->segment(0).offsets, std::vector<std::uint32_t>{0});
    EXPECT_EQ(snapshot->live_count(), 0u);
}

// Irregular blocks analysed on three threads at once (each Analyse call takes its own slot, so
// several dictionaries are merged), appended in doc order: the same segment as a sequential
// Build, and the same after the same Apply.
TEST(SegmentBuilderTest, BlocksAnalysedConcurrentlyBuildTheSameSegment) {
    Lines gen(9);
    std::vector<SupplyLine> lines;
    for (int i = 0; i < 3000; ++i) lines.push_back(gen.Supply(i + 1));
    const auto sequential = SupplySnapshot::Build(lines);

    std::vector<std::pair<std::size_t, std::size_t>> ranges;  // [first, first + size)
    for (std::size_t first = 0; first < lines.size();) {
        const std::size_t size =
            std::min<std::size_t>(lines.size() - first, static_cast<std::size_t>(gen.Int(1, 400)));
        ranges.emplace_back(first, size);
        first += size;
    }
    SegmentBuilder<SupplyLine> builder{IndexOptions{}};
    std::vector<SegmentBuilder<SupplyLine>::Block> blocks(ranges.size());
    std::vector<std::thread> threads;
    for (unsigned t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
            for (std::size_t r = t; r < ranges.size(); r += 3) {
                blocks[r] = builder.Analyse(
                    std::span<const SupplyLine>(lines).subspan(ranges[r].first, ranges[r].second));
            }
        });
    }
    for (auto& thread : threads) thread.join();
    std::vector<SupplyLine> copy = lines;
    for (std::size_t r = 0; r < ranges.size(); ++r) {
        builder.Append(std::move(blocks[r]),
                       std::span<SupplyLine>(copy).subspan(ranges[r].first, ranges[r].second));
    }
    EXPECT_EQ(builder.size(), lines.size());
    const auto concurrent = builder.Finish();
    ExpectSameSegment(sequential->segment(0), concurrent->segment(0));
    EXPECT_EQ(concurrent->total_length(), sequential->total_length());

    std::vector<SupplyLine> upserts;
    for (int i = 0; i < 40; ++i) upserts.push_back(gen.Supply(i * 11 + 1));
    const std::vector<LineId> withdrawn = {3, 5, 8};
    const auto a = SupplySnapshot::Apply(sequential, upserts, withdrawn);
    const auto b = SupplySnapshot::Apply(concurrent, upserts, withdrawn);
    renewmatch::testing::ExpectSameSnapshot(*a, *b, [](const SupplyLine& x, const SupplyLine& y) {
        ASSERT_EQ(x.title, y.title) << "line " << x.id;
    });
}

}  // namespace
}  // namespace renewmatch::matcher
