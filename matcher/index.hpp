// Inverted index over supply lines (and, for the reverse direction, demand lines) with BM25
// statistics, classification-prefix postings and normalised model-code postings.
//
// Structure. A `Snapshot` is an immutable list of segments plus per-segment tombstones. A
// segment holds its lines (by value), each line's analysed length, a term dictionary and CSR
// postings (doc, term frequency). Classification prefixes are indexed as special terms
// ("\x01" + scheme + ":" + significant prefix, one per level 2..8 digits) that do not count
// towards BM25 lengths; the normalised model code of the `model` field is the text term
// "#<code>" (text.hpp), so model-code lookups and text relevance share one posting list.
//
// Updates. `Apply(base, upserts, withdrawals)` returns a NEW snapshot: the upserted lines form
// one new segment; replaced and withdrawn ids become tombstones in the (copied-on-write) bitset
// of the segment that held them. Older snapshots are untouched, so a query keeps using the
// snapshot it started with (hold the shared_ptr). When more than `kMaxSegments` segments exist,
// all segments but the first are merged into one (re-analysing only their lines); when the
// merged tail outgrows half of the first segment, everything is merged. BM25 statistics (live
// count N, total length, document frequency = segment df minus tombstoned df) are exact, so an
// incrementally updated snapshot scores and ranks bit-for-bit like a full rebuild of the same
// live lines.
//
// Complexity. Build: O(total terms) time after analysis, which is O(text bytes) per line.
// Apply: O(u · analysis + tombstoned segments' size / 8) plus an amortised merge. Query term
// lookup: O(segments) hash lookups per term; scoring is term-at-a-time over the postings of the
// query's terms, O(sum of their posting lengths), never over the whole catalog (see engine.hpp
// for pruning).
//
// Build, in detail: see SegmentBuilder below (slot-local dictionaries merged at the end).
//
// Doc order. Inside a segment, docs are numbered in a locality order, not in arrival order:
// lines sorted by primary classification (scheme, then code), then the first 16 bytes of the
// title, then line id. Lines a query examines together (one classification, one product family
// and brand) get neighbouring doc numbers, so a query's record reads, accumulator blocks and
// classification postings are a few contiguous runs instead of scattered misses. Ids are unique
// in a segment, so the doc order is a function of the SET of lines: building the same lines in
// any arrival order (or through Apply/merges, which build through the same path) gives the same
// segment. Nothing observable depends on doc numbers: every tie in the engine is broken by line
// id (engine.cpp), and ForEachLive's order is segment then doc order (callers that need an order
// sort by id).
//
// Memory per line (64-bit, beyond the line value itself, about 1.2 KB for a generated
// SupplyLine): 4 B length + 8 B per distinct term (posting; ~35 text terms + 7 classification
// prefixes for a generated line) + amortised dictionary share + 16 B id-map entry (sorted
// vector) + 1 bit tombstone. Measured: 303 MiB RSS growth for 1,000,000 generated lines
// (~320 B/line; docs/performance.md). Build: terms are interned once and the (term, tf) pairs
// of all lines kept in one flat array (8 B each, freed after the build), then scattered into
// the CSR postings by a counting pass (no per-term vectors).
//
// Thread-safety: a Snapshot is immutable; any number of threads may query one concurrently.
// Build/Apply are pure functions producing new snapshots; serialising writers (who publishes
// the newest snapshot) is the caller's job. With `IndexOptions::parallel_for` set (e.g.
// `ThreadedFor(n)` from batch.cpp) line analysis runs on that many threads inside Build/Apply;
// the snapshot is identical to a sequential build.
#pragma once

#include "matcher/domain.hpp"
#include "matcher/line_record.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace renewmatch::matcher {

struct IndexOptions {
    // Title, brand and model terms count this many times (a cheap BM25F: the title names the
    // thing, descriptions ramble).
    std::uint32_t title_repeat = 2;
    // Beyond this many segments the tail segments are merged.
    std::size_t max_segments = 8;
    // Runs body(i) for every i in [0, n), possibly concurrently, and returns when all are done.
    // Used to analyse lines in parallel during a build; the result is identical either way.
    // Empty = sequential. The matcher starts no threads itself: `ThreadedFor` (batch.cpp) is
    // the parallel implementation, with a thread count chosen by the caller.
    std::function<void(std::size_t, const std::function<void(std::size_t)>&)> parallel_for;
};

// A parallel_for running on `threads` threads (the caller's thread included; 1 = inline).
std::function<void(std::size_t, const std::function<void(std::size_t)>&)> ThreadedFor(
    unsigned threads);

struct Posting {
    std::uint32_t doc;  // segment-local doc number
    std::uint32_t tf;   // term frequency (weighted by title_repeat)
};

template <class Line>
struct Segment {
    std::vector<Line> lines;             // in doc order (see "Doc order" above)
    std::vector<LineId> ids;             // lines[d].id, contiguous (tie-breaks by id)
    std::vector<std::uint32_t> lengths;  // BM25 document length (sum of weighted tf)
    std::unordered_map<std::string, std::uint32_t> dictionary;  // term -> index into offsets
    std::vector<std::uint32_t> offsets;  // postings of term t: [offsets[t], offsets[t+1])
    std::vector<Posting> postings;
    // (line id, doc) sorted by id: 16 B per line (a hash map node costs ~40 B plus buckets).
    std::vector<std::pair<LineId, std::uint32_t>> local;
    std::uint64_t total_length = 0;
    // Dense bitsets (bit d = doc d has the term) of the classification terms at the division level
    // (two significant digits, the default `min_class_prefix`) whose postings cover at least 1/64
    // of the segment's docs, by term index: MatchDemand counts its classification-only lines
    // with a popcount instead of a pass over ~60 % of the catalog's postings (engine.cpp,
    // Generate). At most docs/8 bytes per such term, never more than its postings (8 B each).
    std::unordered_map<std::uint32_t, std::vector<std::uint64_t>> class_bits;
    // Supply segments only (empty for demand lines): the compact per-line records the query
    // evaluates the cheap filters and the pruning bound on (matcher/line_record.hpp).
    SupplyRecords records;

    std::span<const Posting> Find(const std::string& term) const;
    // The dense bitset of `term` (class_bits), or null.
    const std::vector<std::uint64_t>* ClassBits(const std::string& term) const;
    // The doc number of line `id` in this segment (dead or alive), or -1.
    std::int64_t LocalDoc(LineId id) const;
};

template <class Line>
class Snapshot;

// Builds ONE segment from lines handed over block by block, with the analysis of
// each block -- the costly part -- done by the caller on the threads it chooses. This is how
// Snapshot::Build builds, and how the live index (api/match_index.cpp) builds while it is still
// reading and decoding lines, so both give the same snapshot.
//
// Each analysis "slot" interns terms into a dictionary of its own (slot-local term ids), so
// slots never share a lock; Finish() merges the slot dictionaries into the segment's sorted
// term order and scatters the (term, tf) pairs into the CSR postings by counting (offsets from
// the document frequencies, then one pass in doc order). Finish() numbers the docs in the doc
// order above (a sort of compact per-line keys: O(n log n), no line compared). The segment
// depends only on the set of lines handed over -- not on their order, nor on how they were
// split into blocks or slots.
//
// Thread-safety: Analyse() may run on any number of threads at once; Append() is called by one
// thread at a time (it may overlap Analyse() calls); Finish() once, when no Analyse() runs.
template <class Line>
class SegmentBuilder {
  public:
    using LineType = Line;
    // The analysed form of a block of consecutive lines, with slot-local term ids.
    struct Block {
        unsigned slot = 0;
        std::vector<Posting> pairs;          // {slot-local term id, tf}; tf 0 = class term
        std::vector<std::uint32_t> ends;     // per line: end of its pairs in `pairs`
        std::vector<std::uint32_t> lengths;  // per line: BM25 length (sum of weighted tf)
    };

    explicit SegmentBuilder(const IndexOptions& options);
    ~SegmentBuilder();
    SegmentBuilder(const SegmentBuilder&) = delete;
    SegmentBuilder& operator=(const SegmentBuilder&) = delete;

    // Analyses `lines` (IndexTerms and ClassTerms of each). Thread-safe: each call takes a slot
    // no other call is using (a new one when all are busy), so there are as many slots as
    // concurrent callers.
    Block Analyse(std::span<const Line> lines);
    // Appends the lines `block` was analysed from (same order), moving them out of `lines`
    // (Finish() assigns their doc numbers). Line ids must be unique across the whole segment
    // (Snapshot::Build deduplicates before it appends).
    void Append(Block block, std::span<Line> lines);
    void Reserve(std::size_t lines) { lines_.reserve(lines); }
    std::size_t size() const { return lines_.size(); }
    // The finished snapshot (a single segment). The builder must not be used afterwards.
    std::shared_ptr<const Snapshot<Line>> Finish();

  private:
    struct Slot;
    IndexOptions options_;
    std::mutex slots_mutex_;  // guards slots_ and free_
    std::vector<std::unique_ptr<Slot>> slots_;
    std::vector<unsigned> free_;  // slots not in use by an Analyse() call
    std::vector<Block> blocks_;
    std::vector<Line> lines_;
};

template <class Line>
class Snapshot {
  public:
    // Builds a single-segment snapshot. Later lines with an id already seen replace earlier ones.
    static std::shared_ptr<const Snapshot> Build(std::vector<Line> lines,
                                                 const IndexOptions& options = {});
    // A new snapshot with `upserts` added (replacing lines with the same id) and `withdrawals`
    // removed (unknown ids are ignored). `base` is not modified.
    static std::shared_ptr<const Snapshot> Apply(const std::shared_ptr<const Snapshot>& base,
                                                 std::vector<Line> upserts,
                                                 std::span<const LineId> withdrawals);

    std::size_t live_count() const { return live_count_; }
    std::uint64_t total_length() const { return total_length_; }
    double average_length() const {
        return live_count_ == 0
                   ? 0.0
                   : static_cast<double>(total_length_) / static_cast<double>(live_count_);
    }
    const IndexOptions& options() const { return options_; }
    std::size_t segment_count() const { return segments_.size(); }
    const Segment<Line>& segment(std::size_t i) const { return *segments_[i]; }
    std::size_t segment_base(std::size_t i) const { return bases_[i]; }
    std::size_t doc_space() const { return doc_space_; }  // sum of segment sizes (incl. dead)
    bool Deleted(std::size_t segment_idx, std::uint32_t doc) const {
        const auto& bits = *deleted_[segment_idx];
        return !bits.empty() && bits[doc];
    }
    // False when no doc of the segment is tombstoned (Deleted is then false for every doc), so
    // a posting loop can skip the per-posting check.
    bool HasDeleted(std::size_t segment_idx) const { return !deleted_[segment_idx]->empty(); }
    // The tombstoned docs of a segment (unordered; empty when none).
    std::span<const std::uint32_t> DeletedDocs(std::size_t segment_idx) const {
        return *deleted_docs_[segment_idx];
    }
    // Live-document frequency of a term across segments.
    std::uint32_t DocumentFrequency(const std::string& term) const;
    // The live line with this id, or nullptr.
    const Line* Find(LineId id) const;
    // Calls f(const Line&) for every live line, in segment then doc order (doc order is the
    // locality order above, not id or arrival order).
    template <class F>
    void ForEachLive(F&& f) const {
        for (std::size_t s = 0; s < segments_.size(); ++s) {
            for (std::uint32_t d = 0; d < segments_[s]->lines.size(); ++d) {
                if (!Deleted(s, d)) f(segments_[s]->lines[d]);
            }
        }
    }

  private:
    friend class SegmentBuilder<Line>;
    // A snapshot of one freshly built segment with no tombstones.
    static std::shared_ptr<const Snapshot> Single(std::shared_ptr<const Segment<Line>> segment,
                                                  const IndexOptions& options);

    IndexOptions options_;
    std::vector<std::shared_ptr<const Segment<Line>>> segments_;
    std::vector<std::shared_ptr<const std::vector<bool>>> deleted_;  // per segment; empty = none
    std::vector<std::shared_ptr<const std::vector<std::uint32_t>>> deleted_docs_;  // the same docs
    // Per segment: term -> number of tombstoned docs containing it (for exact df).
    std::vector<std::shared_ptr<const std::unordered_map<std::string, std::uint32_t>>> deleted_df_;
    std::vector<std::size_t> bases_;
    std::size_t doc_space_ = 0;
    std::size_t live_count_ = 0;
    std::uint64_t total_length_ = 0;

    void Recount();
};

using SupplySnapshot = Snapshot<SupplyLine>;
using DemandSnapshot = Snapshot<DemandLine>;

// The weighted terms of a line as indexed (term, weighted tf), sorted by term; exposed so tests
// and the engine's query side analyse exactly as the index does.
std::vector<std::pair<std::string, std::uint32_t>> IndexTerms(const SupplyLine& line,
                                                              const IndexOptions& options);
std::vector<std::pair<std::string, std::uint32_t>> IndexTerms(const DemandLine& line,
                                                              const IndexOptions& options);
// Classification posting terms of a line ("\x01CPV:42", "\x01CPV:426", ...).
std::vector<std::string> ClassTerms(const Classification& primary,
                                    std::span<const Classification> additional);
std::string ClassTerm(const std::string& scheme, const std::string& prefix);

}  // namespace renewmatch::matcher
