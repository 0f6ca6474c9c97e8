// One comparison of matcher index structures for the tests that check that two ways of building
// an index give the same one (sequential vs threaded analysis, Build vs SegmentBuilder blocks,
// the live index's streamed load vs the pre-pipeline load, Apply on either): every field of a
// Segment the engine reads -- doc order (line ids), BM25 lengths and total, the term
// dictionary, the CSR offsets and postings, the id -> doc map and the supply records -- and, for
// snapshots, segment count, live count, total length and the live document frequency of every
// term.
//
// Line values beyond their id are compared by the caller's `same_line(a, b)` (e.g. a field for
// field check), called for every doc; the default compares ids only.
//
// Owner: loader (tests/support/index_compare.hpp). Header-only; gtest assertions, so a mismatch
// is reported at the first differing doc or posting and the helper returns.
#pragma once

#include "matcher/index.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>

namespace renewmatch::testing {

struct IgnoreLineFields {
    template <class Line>
    void operator()(const Line&, const Line&) const {}
};

template <class Line, class SameLine = IgnoreLineFields>
void ExpectSameSegment(const matcher::Segment<Line>& a,
                       const matcher::Segment<Line>& b,
                       SameLine&& same_line = {}) {
    ASSERT_EQ(a.lines.size(), b.lines.size());
    for (std::size_t d = 0; d < a.lines.size(); ++d) {
        ASSERT_EQ(a.lines[d].id, b.lines[d].id) << "doc order differs at " << d;
        same_line(a.lines[d], b.lines[d]);
    }
    EXPECT_EQ(a.lengths, b.lengths);
    EXPECT_EQ(a.total_length, b.total_length);
    EXPECT_EQ(a.dictionary, b.dictionary);
    EXPECT_EQ(a.offsets, b.offsets);
    EXPECT_EQ(a.local, b.local);
    ASSERT_EQ(a.postings.size(), b.postings.size());
    for (std::size_t i = 0; i < a.postings.size(); ++i) {
        ASSERT_EQ(a.postings[i].doc, b.postings[i].doc) << "posting " << i;
        ASSERT_EQ(a.postings[i].tf, b.postings[i].tf) << "posting " << i;
    }
    EXPECT_EQ(a.records.lines.size(), b.records.lines.size());
    EXPECT_EQ(a.records.MemoryBytes(), b.records.MemoryBytes());
}

template <class Line, class SameLine = IgnoreLineFields>
void ExpectSameSnapshot(const matcher::Snapshot<Line>& a,
                        const matcher::Snapshot<Line>& b,
                        SameLine&& same_line = {}) {
    ASSERT_EQ(a.segment_count(), b.segment_count());
    EXPECT_EQ(a.live_count(), b.live_count());
    EXPECT_EQ(a.total_length(), b.total_length());
    for (std::size_t s = 0; s < a.segment_count(); ++s) {
        SCOPED_TRACE("segment " + std::to_string(s));
        ExpectSameSegment(a.segment(s), b.segment(s), same_line);
        if (::testing::Test::HasFatalFailure()) return;
    }
    for (std::size_t s = 0; s < a.segment_count(); ++s) {
        for (const auto& [term, t] : a.segment(s).dictionary) {
            (void)t;
            ASSERT_EQ(a.DocumentFrequency(term), b.DocumentFrequency(term)) << term;
        }
    }
}

}  // namespace renewmatch::testing
