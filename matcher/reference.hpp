// Reference data the matcher consults while scoring: the industrial-chain map and an optional
// classification taxonomy. Both are plain values built by the caller (the matcher does no file
// I/O); `ParseChainMap` turns the text of data/chains/chains.txt, already read by the caller,
// into a ChainMap.
//
// Region hierarchy: GB/T 2260 significant-prefix codes (domain.hpp) already encode the
// province > city > county tree, so region proximity needs no table.
//
// Thread-safety: immutable after construction; share freely by const reference.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace renewmatch::matcher {

enum class ChainTier { kUpstream, kMidstream, kDownstream };

struct ChainSegment {
    std::string id;        // globally unique, e.g. "nev.battery"
    std::string chain_id;  // e.g. "nev"
    ChainTier tier = ChainTier::kMidstream;
    std::string name;
};

// Industrial chains -> segments (upstream/midstream/downstream) -> links between segments ->
// classification (CPV prefix) and sector (GB/T 4754 prefix) mappings.
struct ChainMap {
    std::unordered_map<std::string, std::string> chain_names;  // chain id -> name
    std::unordered_map<std::string, ChainSegment> segments;    // segment id -> segment
    // Undirected adjacency: a supplies b (upstream -> downstream) stored both ways.
    std::unordered_map<std::string, std::vector<std::string>> links;
    // CPV digit prefix (2..8 digits, no check digit) -> segment ids; longest prefix wins.
    std::unordered_map<std::string, std::vector<std::string>> cpv_to_segments;
    // GB/T 4754-2017 code prefix ("C36", "C3612") -> segment ids.
    std::unordered_map<std::string, std::vector<std::string>> sector_to_segments;

    // Segment ids for a CPV code ("34144900-7" -> the longest mapped digit prefix's segments).
    std::vector<std::string> SegmentsForCpv(std::string_view cpv) const;
    bool Linked(const std::string& a, const std::string& b) const;
};

// Parses the chain map text format (one record per line, fields separated by '|', '#' starts a
// comment):
//   chain|<chain id>|<name>
//   segment|<segment id>|<chain id>|upstream|midstream|downstream|<name>
//   link|<from segment id>|<to segment id>
//   cpv|<digit prefix>|<segment id>
//   sector|<GB/T 4754 prefix>|<segment id>
// Returns nullopt and sets *error ("line N: ...") on the first malformed record, an unknown chain
// or segment reference, or a duplicate id.
std::optional<ChainMap> ParseChainMap(std::string_view text, std::string* error);

// An optional explicit classification tree: code -> parent code (codes as used on lines,
// without CPV check digits). When a code is absent the matcher falls back to the digit-prefix
// structure that CPV and HS share (2-digit division, then one level per further digit).
struct Taxonomy {
    std::unordered_map<std::string, std::string> parent;
};

// Significant digits of a CPV/HS code: "42621100-6" -> "426211" (check digit and trailing zero
// pairs dropped: CPV pads levels with zeros). Non-digits are ignored.
std::string SignificantClassPrefix(std::string_view code);

}  // namespace renewmatch::matcher
