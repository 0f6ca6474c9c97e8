#include "matcher/index.hpp"

#include "matcher/reference.hpp"
#include "matcher/text.hpp"

#include <algorithm>
#include <cassert>
#include <map>
#include <type_traits>
#include <unordered_set>

namespace renewmatch::matcher {
namespace {

void AddText(std::string_view text,
             std::uint32_t weight,
             std::unordered_map<std::string, std::uint32_t>& counts) {
    if (text.empty()) return;
    for (Term& term : Analyze(text)) counts[std::move(term.text)] += weight;
}

std::vector<std::pair<std::string, std::uint32_t>> Sorted(
    std::unordered_map<std::string, std::uint32_t> counts) {
    std::vector<std::pair<std::string, std::uint32_t>> out(std::make_move_iterator(counts.begin()),
                                                           std::make_move_iterator(counts.end()));
    std::sort(out.begin(), out.end());
    return out;
}

const Classification& PrimaryClass(const SupplyLine& line) {
    return line.classification;
}
const Classification& PrimaryClass(const DemandLine& line) {
    return line.classification;
}

template <class Line>
std::shared_ptr<const Segment<Line>> BuildSegment(std::vector<Line> lines,
                                                  const IndexOptions& options) {
    auto segment = std::make_shared<Segment<Line>>();
    // Pass 1: analyse every line; intern each term once (term id = first-seen order) and keep
    // the line's (term id, tf) pairs in one flat array (8 B per posting) instead of growing a
    // vector per term; count document frequencies.
    std::unordered_map<std::string, std::uint32_t> ids;  // term -> first-seen id
    std::vector<std::string> names;                      // id -> term
    std::vector<std::uint32_t> df;                       // id -> postings count
    std::vector<Posting> pairs;                          // {term id, tf} per line, line order
    std::vector<std::size_t> line_end;                   // end of each line's pairs
    pairs.reserve(lines.size() * 40);
    line_end.reserve(lines.size());
    segment->lengths.reserve(lines.size());
    segment->local.reserve(lines.size());
    auto intern = [&](std::string&& term) {
        auto it = ids.find(term);
        if (it != ids.end()) return it->second;
        const auto id = static_cast<std::uint32_t>(names.size());
        names.push_back(term);
        df.push_back(0);
        ids.emplace(std::move(term), id);
        return id;
    };
    // Analysis (the costly part) runs per chunk of lines, in parallel when the caller gave a
    // parallel_for; interning stays sequential in line order, so ids and layout are identical.
    constexpr std::size_t kChunk = 8192;
    std::vector<std::vector<std::pair<std::string, std::uint32_t>>> analysed;
    std::vector<std::vector<std::string>> class_terms;
    for (std::uint32_t doc = 0; doc < lines.size(); ++doc) {
        const std::size_t slot = doc % kChunk;
        if (slot == 0) {
            const std::size_t n = std::min(kChunk, lines.size() - doc);
            analysed.assign(n, {});
            class_terms.assign(n, {});
            const std::uint32_t first = doc;
            auto analyse = [&](std::size_t i) {
                const Line& l = lines[first + i];
                analysed[i] = IndexTerms(l, options);
                class_terms[i] = ClassTerms(PrimaryClass(l), l.additional_classifications);
            };
            if (options.parallel_for) {
                options.parallel_for(n, analyse);
            } else {
                for (std::size_t i = 0; i < n; ++i) analyse(i);
            }
        }
        const Line& line = lines[doc];
        std::uint32_t length = 0;
        for (auto& [term, tf] : analysed[slot]) {
            length += tf;
            const std::uint32_t id = intern(std::move(term));
            ++df[id];
            pairs.push_back({id, tf});
        }
        for (std::string& term : class_terms[slot]) {
            const std::uint32_t id = intern(std::move(term));
            ++df[id];
            pairs.push_back({id, 0});  // tf 0: not a BM25 term
        }
        line_end.push_back(pairs.size());
        segment->lengths.push_back(length);
        segment->total_length += length;
        segment->local.emplace_back(line.id, doc);
    }
    ids = {};
    analysed = {};
    class_terms = {};
    std::sort(segment->local.begin(), segment->local.end());  // ids are unique (deduplicated)
    // Pass 2: CSR in term order (deterministic layout): rank the ids by term, lay out offsets
    // from the frequencies, then scatter the pairs in line order so each list is doc-ascending.
    std::vector<std::uint32_t> order(names.size());
    for (std::uint32_t t = 0; t < order.size(); ++t) order[t] = t;
    std::sort(order.begin(), order.end(),
              [&](std::uint32_t x, std::uint32_t y) { return names[x] < names[y]; });
    std::vector<std::uint32_t> cursor(names.size());  // id -> next write position
    segment->offsets.reserve(order.size() + 1);
    segment->dictionary.reserve(order.size());
    std::uint32_t position = 0;
    for (std::uint32_t t = 0; t < order.size(); ++t) {
        segment->offsets.push_back(position);
        cursor[order[t]] = position;
        position += df[order[t]];
        segment->dictionary.emplace(std::move(names[order[t]]), t);
    }
    segment->offsets.push_back(position);
    segment->postings.resize(position);
    std::size_t begin = 0;
    for (std::uint32_t doc = 0; doc < line_end.size(); ++doc) {
        for (std::size_t i = begin; i < line_end[doc]; ++i) {
            segment->postings[cursor[pairs[i].doc]++] = {doc, pairs[i].tf};
        }
        begin = line_end[doc];
    }
    if constexpr (std::is_same_v<Line, SupplyLine>) {
        segment->records = BuildSupplyRecords(lines);
    }
    segment->lines = std::move(lines);
    return segment;
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
    std::unordered_map<std::string, std::uint32_t> counts;
    AddText(line.title, options.title_repeat, counts);
    // Brand and model are usually repeated in the title; a term the title already has is not
    // new evidence, so only their new terms are added (with title weight).
    std::unordered_map<std::string, std::uint32_t> extra;
    AddText(line.brand, options.title_repeat, extra);
    AddText(line.model, options.title_repeat, extra);
    const std::string code = ModelCodeTerm(line.model);
    if (!code.empty()) extra[code] = options.title_repeat;
    for (auto& [term, tf] : extra) {
        if (!counts.contains(term)) counts[term] = tf;
    }
    AddText(line.description, 1, counts);
    return Sorted(std::move(counts));
}

std::vector<std::pair<std::string, std::uint32_t>> IndexTerms(const DemandLine& line,
                                                              const IndexOptions& options) {
    std::unordered_map<std::string, std::uint32_t> counts;
    AddText(line.title, options.title_repeat, counts);
    AddText(line.description, 1, counts);
    return Sorted(std::move(counts));
}

template <class Line>
std::span<const Posting> Segment<Line>::Find(const std::string& term) const {
    auto it = dictionary.find(term);
    if (it == dictionary.end()) return {};
    const std::uint32_t t = it->second;
    return std::span<const Posting>(postings.data() + offsets[t], offsets[t + 1] - offsets[t]);
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
    auto snapshot = std::make_shared<Snapshot<Line>>();
    snapshot->options_ = options;
    snapshot->segments_.push_back(BuildSegment(DedupById(std::move(lines)), options));
    snapshot->deleted_.push_back(std::make_shared<const std::vector<bool>>());
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
        auto dead_df =
            std::make_shared<std::unordered_map<std::string, std::uint32_t>>(*next->deleted_df_[s]);
        for (std::uint32_t doc : docs) {
            (*bits)[doc] = true;
            for (const auto& [term, tf] : IndexTerms(segment.lines[doc], next->options_)) {
                ++(*dead_df)[term];
            }
        }
        next->deleted_[s] = std::move(bits);
        next->deleted_df_[s] = std::move(dead_df);
    }
    if (!upserts.empty()) {
        next->segments_.push_back(BuildSegment(std::move(upserts), next->options_));
        next->deleted_.push_back(std::make_shared<const std::vector<bool>>());
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
        next->deleted_df_.resize(first);
        next->segments_.push_back(BuildSegment(std::move(merged), next->options_));
        next->deleted_.push_back(std::make_shared<const std::vector<bool>>());
        next->deleted_df_.push_back(
            std::make_shared<const std::unordered_map<std::string, std::uint32_t>>());
    }
    next->Recount();
    return next;
}

template struct Segment<SupplyLine>;
template struct Segment<DemandLine>;
template class Snapshot<SupplyLine>;
template class Snapshot<DemandLine>;

}  // namespace renewmatch::matcher
