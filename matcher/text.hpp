// Text analysis for mixed Chinese/English equipment text: normalisation and tokenisation.
//
// Pipeline (all pure functions; thread-safe; no state):
//   1. NormalizeText: Unicode NFKC + case folding via utf8proc, so full-width "ＶＭＣ－８５０"
//      becomes "vmc-850" and "Ⅱ" becomes "ii". Invalid UTF-8 bytes are dropped, never fatal.
//   2. Analyze: splits normalised text into index terms:
//        * Latin words: maximal runs of ASCII letters or of digits ("vmc850" -> "vmc", "850"),
//          so a model number written with or without separators shares its words;
//        * model/part numbers: a chunk of letters/digits joined by - / . _ that contains a digit
//          is kept whole ("vmc-850") AND as a normalised code ("#vmc850": letters and digits
//          only, prefixed '#'). A letters-only chunk followed by a chunk starting with a digit
//          ("vmc 850") also yields the code of the pair, so VMC-850, VMC850 and "vmc 850" meet on
//          "#vmc850";
//        * CJK: overlapping character bigrams of each run of CJK characters; a run of one
//          character yields that unigram.
//      Terms keep their order of appearance, duplicates included (term frequency matters).
//   3. NormalizeModelCode: the '#'-less code of a published model field.
// Numbers with units are extracted separately by UnitSystem::ExtractQuantities (units.hpp) on
// the normalised text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::matcher {

enum class TermKind { kWord, kWhole, kCode, kCjkBigram, kCjkUnigram };

struct Term {
    std::string text;
    TermKind kind = TermKind::kWord;
};

// NFKC + case fold + full-width to half-width. Whitespace runs become one ASCII space.
// Pure ASCII and mixed ASCII/CJK text (ideographs, CJK and general punctuation, full-width
// forms) take table-driven fast paths whose table is filled from utf8proc; other text goes
// through utf8proc_map whole. The result is the same either way.
std::string NormalizeText(std::string_view text);

// The same normalisation without the CJK fast path (ASCII rule or utf8proc_map, the invalid
// bytes found by utf8proc), kept as the oracle the tests compare NormalizeText with.
std::string NormalizeTextReference(std::string_view text);

// Terms of already-normalised text (see the header comment for the rules). `normalised` should
// be NormalizeText's output; invalid UTF-8 bytes in other text are skipped (never an empty
// term), but its terms are then not the ones Analyze would give.
std::vector<Term> AnalyzeNormalized(std::string_view normalised);

// The same terms with every code point decoded by utf8proc (no inline UTF-8 decoding), kept as
// the oracle the tests compare AnalyzeNormalized with.
std::vector<Term> AnalyzeNormalizedReference(std::string_view normalised);

// NormalizeText then AnalyzeNormalized.
std::vector<Term> Analyze(std::string_view text);

// Convenience for indexing: just the term strings.
std::vector<std::string> AnalyzeToStrings(std::string_view text);

// "VMC-850" -> "vmc850"; "ＶＭＣ 850" -> "vmc850"; letters and digits only, case-folded.
// Empty when the input has no letter or digit.
std::string NormalizeModelCode(std::string_view model);

// The index term for a model code ('#' + NormalizeModelCode), or "" when the code is empty.
std::string ModelCodeTerm(std::string_view model);

}  // namespace renewmatch::matcher
