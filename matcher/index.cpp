#include "matcher/index.hpp"

#include "matcher/reference.hpp"
#include "matcher/text.hpp"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <span>
#include <string_view>
#include <type_traits>
#include <unordered_set>

namespace renewmatch::matcher {
namespace {

using TermCounts = std::vector<std::pair<std::string, std::uint32_t>>;

// Appends every term of `text` (duplicates included) with `weight`.
void CollectText(std::string_view text, std::uint32_t weight, TermCounts& out) {
    if (text.empty()) return;
    for (Term& term : Analyze(text)) out.emplace_back(std::move(term.text), weight);
}

// Sorts by term and sums the weights of equal terms: the counts a term -> tf map would hold, in
// term order (no hash map per line).
void SortAndSum(TermCounts& counts) {
    std::sort(counts.begin(), counts.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::size_t out = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (out > 0 && counts[out - 1].first == counts[i].first) {
            counts[out - 1].second += counts[i].second;
        } else {
            if (out != i) counts[out] = std::move(counts[i]);
            ++out;
        }
    }
    counts.resize(out);
}

// Sorted union of two sorted, summed count lists: terms of `b` add their tf to `a`'s, or, with
// `only_new`, are taken only when `a` lacks them (keeping `a`'s tf).
TermCounts MergeCounts(TermCounts a, TermCounts b, bool only_new) {
    TermCounts out;
    out.reserve(a.size() + b.size());
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() || j < b.size()) {
        if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
            out.push_back(std::move(a[i++]));
        } else if (i == a.size() || b[j].first < a[i].first) {
            out.push_back(std::move(b[j++]));
        } else {
            out.push_back(std::move(a[i++]));
            if (!only_new) out.back().second += b[j].second;
            ++j;
        }
    }
    return out;
}

const Classification& PrimaryClass(const SupplyLine& line) {
    return line.classification;
}
const Classification& PrimaryClass(const DemandLine& line) {
    return line.classification;
}

// The doc order of a segment (index.hpp, "Doc order"): line positions sorted by primary
// classification (scheme, then code), then the title's first 16 bytes, then line id. Strings
// enter the key as their first 8 (scheme) or 16 (code, title) bytes packed big-endian, so the
// sort compares integers only, never a line; longer strings are cut (locality only: the id
// keeps the order total). Ids are unique within a segment, so the order depends only on the set
// of lines, never on the order they arrived in.
template <class Line>
std::vector<std::uint32_t> DocOrder(std::span<const Line> lines) {
    struct Key {
        std::uint64_t scheme = 0;
        std::uint64_t code_hi = 0;  // bytes 0..7, first byte most significant
        std::uint64_t code_lo = 0;  // bytes 8..15
        std::uint64_t title_hi = 0;
        std::uint64_t title_lo = 0;
        LineId id = 0;
        std::uint32_t position = 0;
    };
    auto pack = [](std::string_view text, std::size_t from) {
        std::uint64_t out = 0;
        for (std::size_t i = from; i < from + 8; ++i) {
            out = (out << 8) | (i < text.size() ? static_cast<unsigned char>(text[i]) : 0U);
        }
        return out;
    };
    std::vector<Key> keys(lines.size());
    for (std::uint32_t i = 0; i < lines.size(); ++i) {
        const Line& line = lines[i];
        const Classification& c = PrimaryClass(line);
        keys[i] = {pack(c.scheme, 0),
                   pack(c.id, 0),
                   pack(c.id, 8),
                   pack(line.title, 0),
                   pack(line.title, 8),
                   line.id,
                   i};
    }
    std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
        if (a.scheme != b.scheme) return a.scheme < b.scheme;
        if (a.code_hi != b.code_hi) return a.code_hi < b.code_hi;
        if (a.code_lo != b.code_lo) return a.code_lo < b.code_lo;
        if (a.title_hi != b.title_hi) return a.title_hi < b.title_hi;
        if (a.title_lo != b.title_lo) return a.title_lo < b.title_lo;
        return a.id < b.id;
    });
    std::vector<std::uint32_t> order(keys.size());
    for (std::size_t d = 0; d < keys.size(); ++d) order[d] = keys[d].position;
    return order;
}

// v := (v[order[0]], v[order[1]], ...) in place, cycle by cycle (one moved-from temporary; no
// second copy of the lines, which are ~1 KB structs each).
template <class T>
void PermuteInPlace(std::vector<T>& v, const std::vector<std::uint32_t>& order) {
    std::vector<bool> done(v.size(), false);
    for (std::size_t start = 0; start < v.size(); ++start) {
        if (done[start] || order[start] == start) continue;
        T held = std::move(v[start]);
        std::size_t at = start;
        while (true) {
            done[at] = true;
            const std::size_t from = order[at];
            if (from == start) {
                v[at] = std::move(held);
                break;
            }
            v[at] = std::move(v[from]);
            at = from;
        }
    }
}

// Lines per block when a snapshot is built from a vector (Build, Apply, merges).
constexpr std::size_t kBuildBlock = 1024;

// Builds a single-segment snapshot of `lines` (ids unique), analysing blocks in parallel when
// the options carry a parallel_for.
template <class Line>
std::shared_ptr<const Snapshot<Line>> BuildSingle(std::vector<Line> lines,
                                                  const IndexOptions& options) {
    SegmentBuilder<Line> builder(options);
    const std::size_t n = lines.size();
    const std::size_t blocks = (n + kBuildBlock - 1) / kBuildBlock;
    std::vector<typename SegmentBuilder<Line>::Block> analysed(blocks);
    const std::span<Line> all(lines);
    auto analyse = [&](std::size_t b) {
        const std::size_t first = b * kBuildBlock;
        analysed[b] = builder.Analyse(all.subspan(first, std::min(kBuildBlock, n - first)));
    };
    if (options.parallel_for && blocks > 1) {
        options.parallel_for(blocks, analyse);
    } else {
        for (std::size_t b = 0; b < blocks; ++b) analyse(b);
    }
    builder.Reserve(n);
    for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t first = b * kBuildBlock;
        builder.Append(std::move(analysed[b]),
                       all.subspan(first, std::min(kBuildBlock, n - first)));
    }
    return builder.Finish();
}

// Keeps the last occurrence of each id (later lines replace earlier ones), in input order.
template <class Line>
std::vector<Line> DedupById(std::vector<Line> lines) {
    std::unordered_map<LineId, std::size_t> last;
    for (std::size_t i = 0; i < lines.size(); ++i) last[lines[i].id] = i;
    if (last.size() == lines.size()) return lines;
    std::vector<Line> out;
    out.reserve(last.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (last[lines[i].id] == i) out.push_back(std::move(lines[i]));
    }
    return out;
}

}  // namespace

std::string ClassTerm(const std::string& scheme, const std::string& prefix) {
    return "\x01" + scheme + ":" + prefix;
}

std::vector<std::string> ClassTerms(const Classification& primary,
                                    std::span<const Classification> additional) {
    std::vector<std::string> out;
    auto add = [&](const Classification& c) {
        const std::string significant = SignificantClassPrefix(c.id);
        for (std::size_t len = 2; len <= significant.size(); ++len) {
            out.push_back(ClassTerm(c.scheme, significant.substr(0, len)));
        }
    };
    if (!primary.id.empty()) add(primary);
    for (const Classification& c : additional) {
        if (!c.id.empty()) add(c);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<std::pair<std::string, std::uint32_t>> IndexTerms(const SupplyLine& line,
                                                              const IndexOptions& options) {
    TermCounts counts;
    CollectText(line.title, options.title_repeat, counts);
    SortAndSum(counts);
    // Brand and model are usually repeated in the title; a term the title already has is not
    // new evidence, so only their new terms are added (with title weight).
    TermCounts extra;
    CollectText(line.brand, options.title_repeat, extra);
    CollectText(line.model, options.title_repeat, extra);
    SortAndSum(extra);
    std::string code = ModelCodeTerm(line.model);
    if (!code.empty()) {
        // The model code's weight is set, not added.
        auto it =
            std::lower_bound(extra.begin(), extra.end(), code,
                             [](const auto& e, const std::string& key) { return e.first < key; });
        if (it != extra.end() && it->first == code) {
            it->second = options.title_repeat;
        } else {
            extra.emplace(it, std::move(code), options.title_repeat);
        }
    }
    counts = MergeCounts(std::move(counts), std::move(extra), /*only_new=*/true);
    TermCounts description;
    CollectText(line.description, 1, description);
    SortAndSum(description);
    return MergeCounts(std::move(counts), std::move(description), /*only_new=*/false);
}

std::vector<std::pair<std::string, std::uint32_t>> IndexTerms(const DemandLine& line,
                                                              const IndexOptions& options) {
    TermCounts counts;
    CollectText(line.title, options.title_repeat, counts);
    CollectText(line.description, 1, counts);
    SortAndSum(counts);
    return counts;
}

// One analysis slot: a term dictionary used by one Analyse() call at a time. Term ids are the
// slot's first-seen order; `names` points at the map's keys (stable: node-based map).
template <class Line>
struct SegmentBuilder<Line>::Slot {
    std::unordered_map<std::string, std::uint32_t> ids;
    std::vector<const std::string*> names;

    std::uint32_t Intern(std::string&& term) {
        auto it = ids.find(term);
        if (it != ids.end()) return it->second;
        const auto id = static_cast<std::uint32_t>(names.size());
        auto inserted = ids.emplace(std::move(term), id).first;
        names.push_back(&inserted->first);
        return id;
    }
};

template <class Line>
SegmentBuilder<Line>::SegmentBuilder(const IndexOptions& options) : options_(options) {}

template <class Line>
SegmentBuilder<Line>::~SegmentBuilder() = default;

template <class Line>
typename SegmentBuilder<Line>::Block SegmentBuilder<Line>::Analyse(std::span<const Line> lines) {
    unsigned slot_index = 0;
    Slot* slot = nullptr;
    {
        std::lock_guard lock(slots_mutex_);
        if (free_.empty()) {
            slots_.push_back(std::make_unique<Slot>());
            free_.push_back(static_cast<unsigned>(slots_.size() - 1));
        }
        slot_index = free_.back();
        free_.pop_back();
        slot = slots_[slot_index].get();
    }
    Block block;
    block.slot = slot_index;
    block.ends.reserve(lines.size());
    block.lengths.reserve(lines.size());
    block.pairs.reserve(lines.size() * 48);
    for (const Line& line : lines) {
        std::uint32_t length = 0;
        for (auto& [term, tf] : IndexTerms(line, options_)) {
            length += tf;
            block.pairs.push_back({slot->Intern(std::move(term)), tf});
        }
        for (std::string& term : ClassTerms(PrimaryClass(line), line.additional_classifications)) {
            block.pairs.push_back({slot->Intern(std::move(term)), 0});  // tf 0: not a BM25 term
        }
        block.ends.push_back(static_cast<std::uint32_t>(block.pairs.size()));
        block.lengths.push_back(length);
    }
    {
        std::lock_guard lock(slots_mutex_);
        free_.push_back(slot_index);
    }
    // Blocks wait for Finish(): keep them tight (the reservation above is a guess).
    block.pairs.shrink_to_fit();
    return block;
}

template <class Line>
void SegmentBuilder<Line>::Append(Block block, std::span<Line> lines) {
    assert(block.ends.size() == lines.size());
    lines_.insert(lines_.end(), std::make_move_iterator(lines.begin()),
                  std::make_move_iterator(lines.end()));
    blocks_.push_back(std::move(block));
}

template <class Line>
std::shared_ptr<const Snapshot<Line>> SegmentBuilder<Line>::Finish() {
    auto segment = std::make_shared<Segment<Line>>();
    const std::size_t slot_count = slots_.size();
    // 1. Each slot's terms in term order.
    std::vector<std::vector<std::uint32_t>> order(slot_count);
    for (std::size_t s = 0; s < slot_count; ++s) {
        const auto& names = slots_[s]->names;
        order[s].resize(names.size());
        for (std::uint32_t t = 0; t < names.size(); ++t) order[s][t] = t;
        std::sort(order[s].begin(), order[s].end(),
                  [&](std::uint32_t x, std::uint32_t y) { return *names[x] < *names[y]; });
    }
    // 2. Merge the sorted slot dictionaries: the segment's term t is the t-th distinct term;
    //    remap[s][slot-local id] = t.
    std::vector<std::vector<std::uint32_t>> remap(slot_count);
    for (std::size_t s = 0; s < slot_count; ++s) remap[s].resize(order[s].size());
    std::vector<const std::string*> merged;
    {
        std::size_t total = 0;
        for (const auto& o : order) total += o.size();
        merged.reserve(total);
    }
    std::vector<std::size_t> head(slot_count, 0);
    while (true) {
        const std::string* least = nullptr;
        for (std::size_t s = 0; s < slot_count; ++s) {
            if (head[s] == order[s].size()) continue;
            const std::string* name = slots_[s]->names[order[s][head[s]]];
            if (least == nullptr || *name < *least) least = name;
        }
        if (least == nullptr) break;
        const auto t = static_cast<std::uint32_t>(merged.size());
        merged.push_back(least);
        for (std::size_t s = 0; s < slot_count; ++s) {
            if (head[s] == order[s].size()) continue;
            const std::uint32_t local = order[s][head[s]];
            if (*slots_[s]->names[local] == *least) {
                remap[s][local] = t;
                ++head[s];
            }
        }
    }
    order = {};
    // 3. Pairs to segment term numbers; document frequencies.
    std::vector<std::uint32_t> df(merged.size(), 0);
    for (Block& block : blocks_) {
        const std::vector<std::uint32_t>& to = remap[block.slot];
        for (Posting& pair : block.pairs) {
            pair.doc = to[pair.doc];
            ++df[pair.doc];
        }
    }
    remap = {};
    // 4. Dictionary and offsets (CSR in term order).
    std::vector<std::uint32_t> cursor(merged.size());  // term -> next write position
    segment->offsets.reserve(merged.size() + 1);
    segment->dictionary.reserve(merged.size());
    std::uint32_t position = 0;
    for (std::uint32_t t = 0; t < merged.size(); ++t) {
        segment->offsets.push_back(position);
        cursor[t] = position;
        position += df[t];
        segment->dictionary.emplace(*merged[t], t);
    }
    segment->offsets.push_back(position);
    merged = {};
    df = {};
    slots_.clear();
    free_.clear();
    // 5. The doc order (see DocOrder): doc d is appended line doc_order[d]. Each appended line's
    //    pairs are found through its block; then the pairs are scattered in doc order, so each
    //    posting list is doc-ascending.
    const std::vector<std::uint32_t> doc_order = DocOrder(std::span<const Line>(lines_));
    struct Source {
        const Block* block;
        std::uint32_t index;  // line index inside the block
    };
    std::vector<Source> sources;
    sources.reserve(lines_.size());
    for (const Block& block : blocks_) {
        for (std::uint32_t i = 0; i < block.ends.size(); ++i) sources.push_back({&block, i});
    }
    segment->postings.resize(position);
    segment->lengths.reserve(lines_.size());
    segment->ids.reserve(lines_.size());
    segment->local.reserve(lines_.size());
    for (std::uint32_t doc = 0; doc < doc_order.size(); ++doc) {
        const Source& source = sources[doc_order[doc]];
        const Block& block = *source.block;
        const std::uint32_t begin = source.index == 0 ? 0 : block.ends[source.index - 1];
        for (std::uint32_t p = begin; p < block.ends[source.index]; ++p) {
            segment->postings[cursor[block.pairs[p].doc]++] = {doc, block.pairs[p].tf};
        }
        segment->lengths.push_back(block.lengths[source.index]);
        segment->total_length += block.lengths[source.index];
        const LineId id = lines_[doc_order[doc]].id;
        segment->ids.push_back(id);
        segment->local.emplace_back(id, doc);
    }
    sources = {};
    blocks_.clear();
    PermuteInPlace(lines_, doc_order);
    std::sort(segment->local.begin(), segment->local.end());  // ids are unique
    if constexpr (std::is_same_v<Line, SupplyLine>) {
        segment->records = BuildSupplyRecords(lines_);
    }
    // Division-level classification terms covering >= 1/64 of the docs: dense bitsets too.
    const std::size_t docs = doc_order.size();
    for (const auto& [term, t] : segment->dictionary) {
        if (term.empty() || term[0] != '\x01') continue;
        const std::size_t colon = term.rfind(':');
        if (colon == std::string::npos || term.size() - colon - 1 != 2) continue;
        const std::size_t term_df = segment->offsets[t + 1] - segment->offsets[t];
        if (term_df * 64 < docs) continue;
        std::vector<std::uint64_t> words((docs + 63) / 64, 0);
        for (std::uint32_t p = segment->offsets[t]; p < segment->offsets[t + 1]; ++p) {
            const std::uint32_t doc = segment->postings[p].doc;
            words[doc / 64] |= std::uint64_t{1} << (doc % 64);
        }
        segment->class_bits.emplace(t, std::move(words));
    }
    segment->lines = std::move(lines_);
    return Snapshot<Line>::Single(std::move(segment), options_);
}

template <class Line>
std::span<const Posting> Segment<Line>::Find(const std::string& term) const {
    auto it = dictionary.find(term);
    if (it == dictionary.end()) return {};
    const std::uint32_t t = it->second;
    return std::span<const Posting>(postings.data() + offsets[t], offsets[t + 1] - offsets[t]);
}

template <class Line>
const std::vector<std::uint64_t>* Segment<Line>::ClassBits(const std::string& term) const {
    if (class_bits.empty()) return nullptr;
    auto it = dictionary.find(term);
    if (it == dictionary.end()) return nullptr;
    auto bits = class_bits.find(it->second);
    return bits == class_bits.end() ? nullptr : &bits->second;
}

template <class Line>
std::int64_t Segment<Line>::LocalDoc(LineId id) const {
    auto it = std::lower_bound(
        local.begin(), local.end(), id,
        [](const std::pair<LineId, std::uint32_t>& e, LineId key) { return e.first < key; });
    return it != local.end() && it->first == id ? static_cast<std::int64_t>(it->second) : -1;
}

template <class Line>
std::shared_ptr<const Snapshot<Line>> Snapshot<Line>::Build(std::vector<Line> lines,
                                                            const IndexOptions& options) {
    return BuildSingle(DedupById(std::move(lines)), options);
}

template <class Line>
std::shared_ptr<const Snapshot<Line>> Snapshot<Line>::Single(
    std::shared_ptr<const Segment<Line>> segment, const IndexOptions& options) {
    auto snapshot = std::make_shared<Snapshot<Line>>();
    snapshot->options_ = options;
    snapshot->segments_.push_back(std::move(segment));
    snapshot->deleted_.push_back(std::make_shared<const std::vector<bool>>());
    snapshot->deleted_docs_.push_back(std::make_shared<const std::vector<std::uint32_t>>());
    snapshot->deleted_df_.push_back(
        std::make_shared<const std::unordered_map<std::string, std::uint32_t>>());
    snapshot->Recount();
    return snapshot;
}

template <class Line>
void Snapshot<Line>::Recount() {
    bases_.clear();
    doc_space_ = 0;
    live_count_ = 0;
    total_length_ = 0;
    for (std::size_t s = 0; s < segments_.size(); ++s) {
        bases_.push_back(doc_space_);
        const Segment<Line>& segment = *segments_[s];
        doc_space_ += segment.lines.size();
        for (std::uint32_t d = 0; d < segment.lines.size(); ++d) {
            if (Deleted(s, d)) continue;
            ++live_count_;
            total_length_ += segment.lengths[d];
        }
    }
}

template <class Line>
std::uint32_t Snapshot<Line>::DocumentFrequency(const std::string& term) const {
    std::uint32_t df = 0;
    for (std::size_t s = 0; s < segments_.size(); ++s) {
        const std::uint32_t in_segment =
            static_cast<std::uint32_t>(segments_[s]->Find(term).size());
        if (in_segment == 0) continue;
        const auto& dead = *deleted_df_[s];
        auto it = dead.find(term);
        df += in_segment - (it == dead.end() ? 0 : it->second);
    }
    return df;
}

template <class Line>
const Line* Snapshot<Line>::Find(LineId id) const {
    for (std::size_t s = segments_.size(); s-- > 0;) {
        const std::int64_t doc = segments_[s]->LocalDoc(id);
        if (doc >= 0 && !Deleted(s, static_cast<std::uint32_t>(doc))) {
            return &segments_[s]->lines[static_cast<std::size_t>(doc)];
        }
    }
    return nullptr;
}

template <class Line>
std::shared_ptr<const Snapshot<Line>> Snapshot<Line>::Apply(
    const std::shared_ptr<const Snapshot>& base,
    std::vector<Line> upserts,
    std::span<const LineId> withdrawals) {
    auto next = std::make_shared<Snapshot<Line>>(*base);  // shares segments; copies pointers
    upserts = DedupById(std::move(upserts));
    std::unordered_set<LineId> remove(withdrawals.begin(), withdrawals.end());
    for (const Line& line : upserts) remove.insert(line.id);
    // Tombstone every live occurrence of a removed id, copying only the touched segments' bits.
    for (std::size_t s = 0; s < next->segments_.size(); ++s) {
        const Segment<Line>& segment = *next->segments_[s];
        std::vector<std::uint32_t> docs;
        for (LineId id : remove) {
            const std::int64_t doc = segment.LocalDoc(id);
            if (doc >= 0 && !next->Deleted(s, static_cast<std::uint32_t>(doc)))
                docs.push_back(static_cast<std::uint32_t>(doc));
        }
        if (docs.empty()) continue;
        auto bits = std::make_shared<std::vector<bool>>(*next->deleted_[s]);
        if (bits->empty()) bits->resize(segment.lines.size(), false);
        auto dead_docs = std::make_shared<std::vector<std::uint32_t>>(*next->deleted_docs_[s]);
        dead_docs->insert(dead_docs->end(), docs.begin(), docs.end());
        auto dead_df =
            std::make_shared<std::unordered_map<std::string, std::uint32_t>>(*next->deleted_df_[s]);
        for (std::uint32_t doc : docs) {
            (*bits)[doc] = true;
            for (const auto& [term, tf] : IndexTerms(segment.lines[doc], next->options_)) {
                ++(*dead_df)[term];
            }
        }
        next->deleted_[s] = std::move(bits);
        next->deleted_docs_[s] = std::move(dead_docs);
        next->deleted_df_[s] = std::move(dead_df);
    }
    if (!upserts.empty()) {
        next->segments_.push_back(
            BuildSingle(std::move(upserts), next->options_)->segments_.front());
        next->deleted_.push_back(std::make_shared<const std::vector<bool>>());
        next->deleted_docs_.push_back(std::make_shared<const std::vector<std::uint32_t>>());
        next->deleted_df_.push_back(
            std::make_shared<const std::unordered_map<std::string, std::uint32_t>>());
    }
    // Merge policy: too many segments -> merge the tail (or everything once the tail is large).
    if (next->segments_.size() > next->options_.max_segments) {
        std::size_t tail_size = 0;
        for (std::size_t s = 1; s < next->segments_.size(); ++s)
            tail_size += next->segments_[s]->lines.size();
        const std::size_t first = tail_size * 2 > next->segments_[0]->lines.size() ? 0 : 1;
        std::vector<Line> merged;
        for (std::size_t s = first; s < next->segments_.size(); ++s) {
            const Segment<Line>& segment = *next->segments_[s];
            for (std::uint32_t d = 0; d < segment.lines.size(); ++d) {
                if (!next->Deleted(s, d)) merged.push_back(segment.lines[d]);
            }
        }
        next->segments_.resize(first);
        next->deleted_.resize(first);
        next->deleted_docs_.resize(first);
        next->deleted_df_.resize(first);
        next->segments_.push_back(
            BuildSingle(std::move(merged), next->options_)->segments_.front());
        next->deleted_.push_back(std::make_shared<const std::vector<bool>>());
        next->deleted_docs_.push_back(std::make_shared<const std::vector<std::uint32_t>>());
        next->deleted_df_.push_back(
            std::make_shared<const std::unordered_map<std::string, std::uint32_t>>());
    }
    next->Recount();
    return next;
}

template class SegmentBuilder<SupplyLine>;
template class SegmentBuilder<DemandLine>;
template struct Segment<SupplyLine>;
template struct Segment<DemandLine>;
template class Snapshot<SupplyLine>;
template class Snapshot<DemandLine>;

}  // namespace renewmatch::matcher
