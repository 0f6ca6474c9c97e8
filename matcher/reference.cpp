#include "matcher/reference.hpp"

#include <algorithm>

namespace renewmatch::matcher {
namespace {

std::vector<std::string_view> SplitFields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const std::size_t bar = line.find('|', start);
        std::string_view field =
            line.substr(start, bar == std::string_view::npos ? line.npos : bar - start);
        while (!field.empty() && (field.front() == ' ' || field.front() == '\t'))
            field.remove_prefix(1);
        while (!field.empty() &&
               (field.back() == ' ' || field.back() == '\t' || field.back() == '\r')) {
            field.remove_suffix(1);
        }
        fields.push_back(field);
        if (bar == std::string_view::npos) break;
        start = bar + 1;
    }
    return fields;
}

bool AllDigits(std::string_view text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string SignificantClassPrefix(std::string_view code) {
    const std::size_t dash = code.find('-');
    if (dash != std::string_view::npos) code = code.substr(0, dash);
    std::string digits;
    for (char c : code) {
        if (c >= '0' && c <= '9') digits.push_back(c);
    }
    // CPV pads each level with zeros ("42000000" is division 42); drop trailing zeros but keep
    // at least the 2-digit division.
    while (digits.size() > 2 && digits.back() == '0') digits.pop_back();
    return digits;
}

std::vector<std::string> ChainMap::SegmentsForCpv(std::string_view cpv) const {
    std::string prefix = SignificantClassPrefix(cpv);
    while (!prefix.empty()) {
        auto it = cpv_to_segments.find(prefix);
        if (it != cpv_to_segments.end()) return it->second;
        prefix.pop_back();
    }
    return {};
}

bool ChainMap::Linked(const std::string& a, const std::string& b) const {
    auto it = links.find(a);
    if (it == links.end()) return false;
    return std::find(it->second.begin(), it->second.end(), b) != it->second.end();
}

std::optional<ChainMap> ParseChainMap(std::string_view text, std::string* error) {
    ChainMap map;
    std::size_t line_no = 0;
    std::size_t pos = 0;
    auto fail = [&](const std::string& message) -> std::optional<ChainMap> {
        if (error != nullptr) *error = "line " + std::to_string(line_no) + ": " + message;
        return std::nullopt;
    };
    while (pos <= text.size()) {
        const std::size_t newline = text.find('\n', pos);
        std::string_view line = text.substr(pos, newline == text.npos ? text.npos : newline - pos);
        pos = newline == text.npos ? text.size() + 1 : newline + 1;
        ++line_no;
        const std::size_t hash = line.find('#');
        if (hash != line.npos) line = line.substr(0, hash);
        if (line.find_first_not_of(" \t\r") == line.npos) continue;
        const std::vector<std::string_view> f = SplitFields(line);
        const std::string_view kind = f[0];
        if (kind == "chain") {
            if (f.size() != 3 || f[1].empty()) return fail("chain needs |id|name");
            if (!map.chain_names.emplace(std::string(f[1]), std::string(f[2])).second) {
                return fail("duplicate chain '" + std::string(f[1]) + "'");
            }
        } else if (kind == "segment") {
            if (f.size() != 5 || f[1].empty()) return fail("segment needs |id|chain|tier|name");
            if (!map.chain_names.contains(std::string(f[2]))) {
                return fail("unknown chain '" + std::string(f[2]) + "'");
            }
            ChainSegment segment;
            segment.id = std::string(f[1]);
            segment.chain_id = std::string(f[2]);
            if (f[3] == "upstream") {
                segment.tier = ChainTier::kUpstream;
            } else if (f[3] == "midstream") {
                segment.tier = ChainTier::kMidstream;
            } else if (f[3] == "downstream") {
                segment.tier = ChainTier::kDownstream;
            } else {
                return fail("tier must be upstream, midstream or downstream, got '" +
                            std::string(f[3]) + "'");
            }
            segment.name = std::string(f[4]);
            if (!map.segments.emplace(segment.id, segment).second) {
                return fail("duplicate segment '" + segment.id + "'");
            }
        } else if (kind == "link") {
            if (f.size() != 3) return fail("link needs |from|to");
            const std::string from(f[1]);
            const std::string to(f[2]);
            if (!map.segments.contains(from)) return fail("unknown segment '" + from + "'");
            if (!map.segments.contains(to)) return fail("unknown segment '" + to + "'");
            map.links[from].push_back(to);
            map.links[to].push_back(from);
        } else if (kind == "cpv" || kind == "sector") {
            if (f.size() != 3) return fail(std::string(kind) + " needs |prefix|segment");
            if (kind == "cpv" && (!AllDigits(f[1]) || f[1].size() < 2 || f[1].size() > 8)) {
                return fail("cpv prefix must be 2-8 digits, got '" + std::string(f[1]) + "'");
            }
            const std::string segment(f[2]);
            if (!map.segments.contains(segment)) return fail("unknown segment '" + segment + "'");
            auto& target = kind == "cpv" ? map.cpv_to_segments : map.sector_to_segments;
            target[std::string(f[1])].push_back(segment);
        } else {
            return fail("unknown record kind '" + std::string(kind) + "'");
        }
    }
    for (auto& [segment, neighbours] : map.links) {
        std::sort(neighbours.begin(), neighbours.end());
        neighbours.erase(std::unique(neighbours.begin(), neighbours.end()), neighbours.end());
    }
    return map;
}

}  // namespace renewmatch::matcher
