#include "api/match_runs.hpp"

#include "api/audit.hpp"
#include "api/http.hpp"
#include "api/json.hpp"
#include "api/match_index.hpp"
#include "api/response.hpp"
#include "api/router.hpp"
#include "matcher/allocation.hpp"
#include "matcher/impact.hpp"
#include "matcher/index.hpp"
#include "matcher/run_diff.hpp"
#include "schema/database.hpp"
#include "schema/list_store.hpp"
#include "schema/run_store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <limits>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>

namespace renewmatch::api {

static_assert(schema::kRunFeatureCount == matcher::kFeatureCount,
              "match_results.features stores one value per matcher::Feature");

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
// A demand reached by more changed supply lines than MaxImpactChecks(supply lines) is rescored
// without impact checks. A prepared check costs about the same at any catalog size (~1.5 us
// measured), a rescoring grows with the postings its query reads (~4 ms at 20,000 lines, scripts/
// bench-runs --quick, 2 threads on a loaded machine): about 2,500 checks per rescoring at 20,000
// lines, i.e. one check per 8 supply lines; never fewer than 32 checks.
constexpr std::size_t kMinImpactChecks = 32;
constexpr std::size_t kSupplyLinesPerImpactCheck = 8;
std::size_t MaxImpactChecks(std::size_t supply_lines) {
    return std::max(kMinImpactChecks, supply_lines / kSupplyLinesPerImpactCheck);
}

std::int64_t SystemNowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

bool StartsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// ---- weights profiles ------------------------------------------------------------------------

struct Profile {
    std::string_view name;
    // Multipliers applied to the default weights, in matcher::Feature order.
    std::array<double, matcher::kFeatureCount> factors;
};

// "default": the shipped weights. "price": price and capacity count three times as much.
// "local": region, energy/localisation and chain affinity count three times as much.
constexpr std::array<Profile, 3> kProfiles = {{
    {"default", {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
    {"price", {1, 1, 1, 3, 3, 1, 1, 1, 1, 1}},
    {"local", {1, 1, 1, 1, 1, 1, 3, 3, 3, 1}},
}};

}  // namespace

std::optional<matcher::MatchConfig> WeightsProfile(std::string_view name) {
    for (const auto& p : kProfiles) {
        if (p.name != name) continue;
        matcher::MatchConfig config;
        for (std::size_t i = 0; i < config.weights.size(); ++i) config.weights[i] *= p.factors[i];
        if (name != "default") config.version += "+" + std::string(name);
        return config;
    }
    return std::nullopt;
}

std::vector<std::string> WeightsProfileNames() {
    std::vector<std::string> out;
    for (const auto& p : kProfiles) out.emplace_back(p.name);
    return out;
}

// ---- request decoding ----------------------------------------------------------------------

ApiResult<RunRequest> DecodeRunRequest(std::string_view body) {
    auto doc = ParseDocument(body);
    if (!doc) return doc.error();
    const JsonValue& root = *doc;
    if (!root.IsObject()) return FieldError("", "wrong_type", "the body must be a JSON object");
    std::vector<ErrorDetail> problems;
    auto note = [&](const ApiError& e) {
        for (const auto& d : e.details) problems.push_back(d);
        if (e.details.empty()) problems.push_back({std::nullopt, "", "invalid", e.message});
    };
    if (auto r = RejectUnknownFields(root, "", {"mode", "scope", "allocate", "weights", "topK"});
        !r) {
        note(r.error());
    }
    RunRequest out;
    if (auto mode = ReadString(root, "mode", "", 32); !mode) {
        note(mode.error());
    } else if (*mode != "full" && *mode != "incremental") {
        problems.push_back(
            {std::nullopt, "/mode", "invalid_value", "mode must be \"full\" or \"incremental\""});
    } else {
        out.mode = *mode;
    }
    if (auto allocate = ReadOptionalBool(root, "allocate", ""); !allocate) {
        note(allocate.error());
    } else {
        out.allocate = allocate->value_or(false);
    }
    if (auto weights = ReadOptionalString(root, "weights", "", 64); !weights) {
        note(weights.error());
    } else if (*weights) {
        if (!WeightsProfile(**weights)) {
            std::string known;
            for (const auto& n : WeightsProfileNames()) known += (known.empty() ? "" : ", ") + n;
            problems.push_back({std::nullopt, "/weights", "unknown_profile",
                                "unknown weights profile; known: " + known});
        } else {
            out.weights = **weights;
        }
    }
    if (auto k = ReadOptionalInt64(root, "topK", ""); !k) {
        note(k.error());
    } else if (*k) {
        if (**k < 1 || **k > 100) {
            problems.push_back({std::nullopt, "/topK", "out_of_range", "topK must be 1..100"});
        } else {
            out.top_k = **k;
        }
    }
    if (auto scope = ReadOptionalObject(root, "scope", ""); !scope) {
        note(scope.error());
    } else if (*scope != nullptr) {
        const JsonValue& s = **scope;
        if (auto r = RejectUnknownFields(s, "/scope", {"classificationPrefix", "region", "orgId"});
            !r) {
            note(r.error());
        }
        if (auto c = ReadOptionalString(s, "classificationPrefix", "/scope", 16); !c) {
            note(c.error());
        } else if (*c) {
            const bool digits = std::all_of((*c)->begin(), (*c)->end(), [](char ch) {
                return (ch >= '0' && ch <= '9') || ch == '-';
            });
            if (!digits || (*c)->empty()) {
                problems.push_back({std::nullopt, "/scope/classificationPrefix", "invalid_value",
                                    "a classification prefix is 1-16 digits (CPV or HS)"});
            } else {
                out.scope.classification_prefix = **c;
            }
        }
        if (auto r = ReadOptionalString(s, "region", "/scope", 6); !r) {
            note(r.error());
        } else if (*r) {
            const bool digits = std::all_of((*r)->begin(), (*r)->end(),
                                            [](char ch) { return ch >= '0' && ch <= '9'; });
            if (!digits || (*r)->size() < 2 || (*r)->size() > 6) {
                problems.push_back({std::nullopt, "/scope/region", "invalid_value",
                                    "a region is a GB/T 2260 prefix of 2-6 digits"});
            } else {
                out.scope.region = **r;
            }
        }
        if (auto o = ReadOptionalInt64(s, "orgId", "/scope"); !o) {
            note(o.error());
        } else if (*o) {
            if (**o <= 0) {
                problems.push_back({std::nullopt, "/scope/orgId", "invalid_value",
                                    "orgId must be a positive organisation id"});
            } else {
                out.scope.org_id = **o;
            }
        }
    }
    if (!problems.empty()) {
        ApiError e = ApiError::Make(Errc::kInvalidArgument, "invalid match run request",
                                    "invalid_run_request");
        e.details = std::move(problems);
        return e;
    }
    return out;
}

schema::NewRun MakeNewRun(const RunRequest& request, std::string runner, std::int64_t now_ms) {
    schema::NewRun run;
    run.mode = request.mode;
    run.scope = request.scope;
    run.allocate = request.allocate;
    run.weights = request.weights;
    run.top_k = request.top_k;
    const auto config = WeightsProfile(request.weights);
    run.config_version = config ? config->version : matcher::MatchConfig{}.version;
    run.runner = std::move(runner);
    run.status = run.runner == "cli" ? "running" : "queued";
    run.now_ms = now_ms;
    return run;
}

// ---- executor ----------------------------------------------------------------------------------

namespace {

bool InScope(const matcher::DemandLine& d, const schema::RunScope& scope) {
    if (d.status != "open") return false;
    if (!StartsWith(d.classification.id, scope.classification_prefix)) return false;
    if (!StartsWith(d.delivery_region, scope.region)) return false;
    if (scope.org_id && d.buyer_id != *scope.org_id) return false;
    return true;
}

std::vector<matcher::RankedLine> Ranking(const std::vector<schema::ResultRow>& rows) {
    std::vector<matcher::RankedLine> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back({r.supply_id, r.score});
    return out;
}

// Entered / left rows for one demand (matcher/run_diff.hpp), in supply id order.
std::vector<schema::DiffRow> DiffRows(std::int64_t demand_id,
                                      const std::vector<schema::ResultRow>& before,
                                      const std::vector<schema::ResultRow>& after,
                                      std::size_t k) {
    const auto diff = matcher::DiffTopK(Ranking(before), Ranking(after), k);
    std::vector<schema::DiffRow> out;
    for (const auto& e : diff.entered) {
        out.push_back(
            {demand_id, e.id, "entered", std::nullopt, static_cast<std::int64_t>(e.rank)});
    }
    for (const auto& l : diff.left) {
        out.push_back(
            {demand_id, l.id, "left", static_cast<std::int64_t>(l.previous_rank), std::nullopt});
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.supply_id < b.supply_id; });
    return out;
}

class Executor {
  public:
    Executor(const RunEnvironment& env, std::int64_t run_id) : env_(env), run_id_(run_id) {}

    RunOutcome Run() {
        auto loaded =
            env_.db->Read([&](schema::Connection& c) { return schema::FindRun(c, run_id_); });
        if (!loaded || !*loaded) return Finish("failed", "the run row cannot be read");
        run_ = std::move(**loaded);
        if (run_.status != "running") {
            RunOutcome o;
            o.status = run_.status;
            o.error = "the run is not running (status " + run_.status + ")";
            return o;
        }
        const auto config = WeightsProfile(run_.weights);
        if (!config) return Finish("failed", "unknown weights profile '" + run_.weights + "'");
        config_ = *config;
        config_.version = run_.config_version;

        if (env_.index == nullptr) return Finish("failed", "no match index");
        if (!env_.index->ready()) {
            if (auto r = env_.index->Load(*env_.db); !r) {
                return Finish("failed", "loading the match index failed: " + r.error().message());
            }
        } else if (env_.catch_up) {
            if (auto r = env_.index->CatchUp(*env_.db); !r) {
                return Finish("failed",
                              "catching up the match index failed: " + r.error().message());
            }
        }
        view_ = env_.index->Current();
        if (!view_.supply || !view_.demands) return Finish("failed", "the match index is empty");

        if (auto planned = Plan(); !planned.empty()) return Finish("failed", planned);
        if (auto stopped = Batches(); !stopped.first.empty()) {
            return Finish(stopped.first, stopped.second);
        }
        return Complete();
    }

  private:
    std::int64_t Now() const { return env_.now_ms ? env_.now_ms() : SystemNowMs(); }

    // Returns "" or the reason the run cannot go on.
    std::string Plan() {
        auto previous = env_.db->Read(
            [&](schema::Connection& c) { return schema::LatestSucceededRun(c, run_.scope_key); });
        if (!previous) return "reading the previous run failed: " + previous.error().message();
        if (*previous) previous_ = std::move(**previous);

        plan_.change_seq = view_.change_seq;
        plan_.supply_lines = static_cast<std::int64_t>(view_.supply->live_count());
        plan_.previous_run_id =
            previous_ ? std::optional<std::int64_t>(previous_->id) : std::nullopt;
        plan_.as_of_day = env_.as_of_day ? *env_.as_of_day : Now() / kDayMs;
        if (run_.mode == "incremental") {
            if (!previous_) {
                plan_.note = "no succeeded run of this scope to build on: every demand was scored";
            } else if (previous_->weights != run_.weights || previous_->top_k != run_.top_k ||
                       previous_->config_version != run_.config_version || !previous_->as_of_day) {
                plan_.note = "the previous run (" + std::to_string(previous_->id) +
                             ") used other weights, k or configuration: every demand was scored";
            } else if (previous_->change_seq > view_.change_seq) {
                plan_.note = "the index is behind the previous run: every demand was scored";
            } else {
                base_ = previous_;
                plan_.base_run_id = base_->id;
                plan_.as_of_day = *base_->as_of_day;
                plan_.stats_epoch_run_id = base_->stats_epoch_run_id.value_or(base_->id);
            }
        }
        if (!base_ && env_.stats_epoch_run_id) {
            // A full run scored in an existing statistics epoch (and on its day): what an
            // incremental run of that epoch must equal (tests, `match-run --stats-epoch`).
            auto epoch_run = env_.db->Read([&](schema::Connection& c) {
                return schema::FindRun(c, *env_.stats_epoch_run_id);
            });
            if (!epoch_run || !*epoch_run || !(*epoch_run)->as_of_day) {
                return "statistics epoch run " + std::to_string(*env_.stats_epoch_run_id) +
                       " does not exist or never started";
            }
            plan_.stats_epoch_run_id = (*epoch_run)->stats_epoch_run_id.value_or((*epoch_run)->id);
            plan_.as_of_day = *(*epoch_run)->as_of_day;
        }
        if (!plan_.stats_epoch_run_id) plan_.stats_epoch_run_id = run_.id;
        epoch_ = *plan_.stats_epoch_run_id;
        if (epoch_ == run_.id) {
            stats_ = matcher::CorpusStatistics::Of(*view_.supply);
        } else {
            auto pinned = env_.db->Read(
                [&](schema::Connection& c) { return schema::LoadStatisticsEpoch(c, epoch_); });
            if (!pinned) {
                return "statistics epoch " + std::to_string(epoch_) +
                       " cannot be read: " + pinned.error().message();
            }
            stats_.live_count = static_cast<std::uint64_t>(pinned->live_count);
            stats_.average_length = pinned->average_length;
            for (const auto& [term, df] : pinned->terms) {
                stats_.document_frequency.emplace(term, static_cast<std::uint32_t>(df));
            }
        }
        context_ = env_.index->Context(static_cast<matcher::Day>(plan_.as_of_day));
        context_.statistics = &stats_;

        view_.demands->ForEachLive([&](const matcher::DemandLine& d) {
            if (InScope(d, run_.scope)) demands_.push_back(&d);
        });
        std::sort(demands_.begin(), demands_.end(),
                  [](const auto* a, const auto* b) { return a->id < b->id; });
        plan_.demands_total = static_cast<std::int64_t>(demands_.size());
        plan_.progress_total = plan_.demands_total;

        if (base_) {
            if (auto why = PlanIncremental(); !why.empty()) return why;
        }
        auto set = env_.db->Write([&](schema::Connection& c) -> Result<void> {
            if (epoch_ == run_.id) {
                auto saved = schema::SaveStatisticsEpoch(
                    c, run_.id, static_cast<std::int64_t>(stats_.live_count),
                    stats_.average_length);
                if (!saved) return saved;
            }
            if (auto r = schema::PinTerms(c, epoch_, pinned_); !r) return r;
            return schema::SetRunPlan(c, run_.id, plan_, Now());
        });
        pinned_.clear();
        if (!set) return "recording the run plan failed: " + set.error().message();
        return {};
    }

    // Decides which demands an incremental run rescores (rescore_); the rest are carried:
    //   * a demand that is new in scope or whose revision differs from the base run's;
    //   * a demand for which matcher::PatchTopK, given the supply lines changed since the base
    //     run's change_seq that can matter to it (matcher::ChangeIndex::RelevantChanges: in its
    //     stored top-k, set its normaliser, or generated by its query with a text bound reaching
    //     the normaliser or the k-th score), cannot derive the new top-k exactly; an exact
    //     patch that differs from the stored top-k is written without a query (patched_).
    std::string PlanIncremental() {
        auto summaries = env_.db->Read(
            [&](schema::Connection& c) { return schema::ListDemandSummaries(c, base_->id); });
        if (!summaries) return "reading the base run failed: " + summaries.error().message();
        std::unordered_map<std::int64_t, schema::DemandSummary> base_summary;
        for (const auto& s : *summaries) base_summary.emplace(s.demand_id, s);

        // Supply lines changed (created, changed, withdrawn) between the two feed positions,
        // with the first revision after the base run's position.
        std::map<std::int64_t, std::int64_t> first_revision;
        std::int64_t after = base_->change_seq;
        for (bool done = false; !done;) {
            auto rows = env_.db->Read(
                [&](schema::Connection& c) { return schema::ListChanges(c, after, 5000); });
            if (!rows) return "reading the change feed failed: " + rows.error().message();
            done = rows->empty();
            for (const auto& r : *rows) {
                if (r.seq > view_.change_seq) {
                    done = true;
                    break;
                }
                after = r.seq;
                if (r.entity == "supply") first_revision.emplace(r.line_id, r.revision);
            }
        }

        // Each changed line is prepared once (analysed terms, length, classification terms,
        // record) for the checks; the old versions (line history, serially: database reads)
        // only tell re-prices apart (same text as the version the base run saw).
        const auto reach_start = std::chrono::steady_clock::now();
        std::vector<matcher::PreparedChange> changes;
        changes.reserve(first_revision.size());
        std::size_t same_text = 0;  // changed lines whose text is the base run's
        for (const auto& [line_id, revision] : first_revision) {
            const auto* now = view_.supply->Find(line_id);
            changes.push_back(matcher::PreparedChange::Of(line_id, now, *view_.supply));
            if (revision > 1) {
                auto old = OldSupply(line_id, revision - 1);
                if (!old) return "reading line history failed: " + old.error().message();
                // A re-price (same text as the version the base run saw, which was live then):
                // the checks dismiss it by its record before any text work.
                if (*old && (*old)->status != "withdrawn") {
                    changes.back().MarkTextUnchanged(**old, *view_.supply);
                    if (changes.back().text_unchanged) ++same_text;
                }
            }
        }
        // The changed lines' terms as integers (every check merges integer ids: same order,
        // bit-identical text scores; matcher::AssignTermIds), and a small inverted index over
        // them: per demand, matcher::ChangeIndex::RelevantChanges finds the changed lines that
        // can matter to it (by id in its stored top-k / normaliser, or generated by its query
        // with a raw BM25 bound reaching its stored normaliser or k-th score), so the relation
        // demand -> changed lines is never built for all demands at once.
        std::vector<std::string> dictionary;
        matcher::AssignTermIds(changes, dictionary);
        const matcher::ChangeIndex change_index(changes, dictionary, *view_.supply, config_,
                                                context_);
        const auto index_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - reach_start)
                                  .count();
        const auto parallel_for = matcher::ThreadedFor(std::max(1u, env_.threads));

        // The demands to check: unchanged since the base run (every other one is rescored).
        struct Check {
            const matcher::DemandLine* demand = nullptr;
            const schema::DemandSummary* base = nullptr;
            std::vector<const matcher::PreparedChange*> lines;  // RelevantChanges, id order
            matcher::StoredResultSummary stored;
            std::vector<schema::ResultRow> stored_rows;  // the base run's rows, rank order
            bool rescore = false;
            bool unchecked = false;  // more than max_checks relevant lines: rescored unchecked
            matcher::ImpactReason reason = matcher::ImpactReason::kNone;
            std::size_t checks = 0;
            std::size_t without_text = 0;  // checks settled by the record alone
            std::size_t enumerated = 0;    // change-index postings read
            bool pruned = false;           // the text threshold applied
            std::int64_t reach_ns = 0;
            std::int64_t checks_ns = 0;
            std::vector<std::pair<std::string, std::uint32_t>> unpinned;
            matcher::TopKPatch patch;  // exact and not the stored top-k: patched
        };
        std::vector<std::pair<const matcher::DemandLine*, const schema::DemandSummary*>> to_check;
        const std::size_t max_checks = MaxImpactChecks(view_.supply->live_count());
        std::size_t rescored_own = 0;        // new in scope, or the demand line changed
        std::size_t rescored_unchecked = 0;  // reached by more than max_checks changed lines
        std::array<std::size_t, 7> rescored_because{};  // by matcher::ImpactReason
        for (const auto* d : demands_) {
            const auto base = base_summary.find(d->id);
            if (base == base_summary.end() || base->second.demand_revision != d->revision) {
                rescore_.insert(d->id);
                ++rescored_own;
                continue;
            }
            if (!changes.empty()) to_check.emplace_back(d, &base->second);
        }

        // Chunks of demands: one read of their stored top-k, then on the run's worker threads
        // each demand is prepared once, its relevant changed lines are found in the change
        // index, and matcher::PatchTopK applies them to the stored top-k: exact and unchanged
        // -> carried; exact and changed -> patched (the new rows are written like rescored
        // ones, without a query); not exact -> rescored. Past MaxImpactChecks relevant lines,
        // rescoring costs less than the checks and is always exact. Then, single-threaded, the
        // terms the checks used unpinned are pinned (all from this run's snapshot, so pinning
        // after the chunk gives every check the df it would have had in sequence). Memory:
        // one chunk's relevant lists and stored rows.
        const auto k = static_cast<std::size_t>(run_.top_k);
        std::size_t impact_checks = 0;
        std::size_t checks_without_text = 0;
        std::size_t demands_reached = 0;  // with at least one relevant changed line
        std::size_t demands_pruned = 0;   // the text threshold applied
        std::size_t postings_read = 0;
        std::int64_t reach_ns = 0;
        std::int64_t checks_ns = 0;
        const auto checks_start = std::chrono::steady_clock::now();
        constexpr std::size_t kCheckChunk = 1024;
        std::vector<Check> chunk;
        for (std::size_t start = 0; start < to_check.size(); start += kCheckChunk) {
            const std::size_t end = std::min(to_check.size(), start + kCheckChunk);
            auto rows = env_.db->Read([&](schema::Connection& c) {
                return schema::ResultsInRange(c, base_->id, to_check[start].first->id,
                                              to_check[end - 1].first->id);
            });
            if (!rows) return "reading the base results failed: " + rows.error().message();
            chunk.clear();
            chunk.resize(end - start);
            auto row = rows->begin();
            for (std::size_t i = start; i < end; ++i) {
                Check& check = chunk[i - start];
                check.demand = to_check[i].first;
                check.base = to_check[i].second;
                while (row != rows->end() && row->demand_id < check.demand->id) ++row;
                std::optional<double> last_score;
                check.stored.k = k;
                for (; row != rows->end() && row->demand_id == check.demand->id; ++row) {
                    check.stored.top_ids.push_back(row->supply_id);
                    check.stored.top_scores.push_back(row->score);
                    check.stored_rows.push_back(*row);
                    last_score = row->score;
                }
                check.stored.kth_score = check.base->kth_score.value_or(last_score.value_or(0.0));
                check.stored.text_normaliser = check.base->text_normaliser;
                check.stored.text_normaliser_id = check.base->text_normaliser_id;
            }
            rows = {};
            parallel_for(chunk.size(), [&](std::size_t j) {
                Check& check = chunk[j];
                const auto t0 = std::chrono::steady_clock::now();
                matcher::PreparedImpactDemand prepared(*check.demand, *view_.supply, config_,
                                                       context_);
                prepared.UseDictionary(dictionary);
                matcher::ChangeIndex::Stats stats;
                change_index.RelevantChanges(prepared, check.stored, check.lines, &stats);
                check.enumerated = stats.enumerated;
                check.pruned = stats.pruned;
                const auto t1 = std::chrono::steady_clock::now();
                check.reach_ns =
                    std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
                if (check.lines.empty()) return;  // nothing can change: carried
                if (check.lines.size() > max_checks) {
                    check.rescore = true;
                    check.unchecked = true;
                    return;
                }
                check.checks = check.lines.size();
                check.patch =
                    matcher::PatchTopK(prepared, check.stored, check.lines, config_, context_);
                check.without_text = check.patch.without_text;
                check.unpinned = std::move(check.patch.unpinned_terms);
                if (!check.patch.exact) {
                    check.rescore = true;
                    check.reason = check.patch.reason;
                }
                check.checks_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::steady_clock::now() - t1)
                                      .count();
            });
            for (Check& check : chunk) {
                impact_checks += check.checks;
                checks_without_text += check.without_text;
                postings_read += check.enumerated;
                reach_ns += check.reach_ns;
                checks_ns += check.checks_ns;
                if (!check.lines.empty()) ++demands_reached;
                if (check.pruned) ++demands_pruned;
                for (auto& term : check.unpinned) {
                    if (stats_.document_frequency.emplace(term.first, term.second).second) {
                        pinned_.push_back(std::move(term));
                    }
                }
                if (check.unchecked) {
                    rescore_.insert(check.demand->id);
                    ++rescored_unchecked;
                } else if (check.rescore) {
                    rescore_.insert(check.demand->id);
                    ++rescored_because.at(static_cast<std::size_t>(check.reason));
                } else if (!check.lines.empty() &&
                           !check.patch.SameAsStored(check.stored_rows.size())) {
                    patched_.emplace(check.demand->id,
                                     PatchedRows(check.demand, *check.base, check.stored_rows,
                                                 check.patch, change_index));
                }
            }
        }
        chunk = {};
        const auto checks_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - checks_start)
                                   .count();
        // reach / checks: thread time summed over the workers (they interleave per demand);
        // planning wall time = index + chunks.
        plan_.note =
            "incremental on run " + std::to_string(base_->id) + ": " +
            std::to_string(rescore_.size()) + " of " + std::to_string(demands_.size()) +
            " demands rescored; " + std::to_string(first_revision.size()) +
            " supply lines changed (" + std::to_string(same_text) +
            " with the same text; change index " + std::to_string(index_ms) + " ms), " +
            std::to_string(demands_reached) + " demands reached (" +
            std::to_string(demands_pruned) + " through the text threshold; reach " +
            std::to_string(reach_ns / 1'000'000) + " ms, " + std::to_string(postings_read) +
            " postings), " + std::to_string(impact_checks) + " impact checks (" +
            std::to_string(checks_ns / 1'000'000) + " ms, " + std::to_string(checks_without_text) +
            " settled on the record without text; chunks " + std::to_string(checks_ms) +
            " ms wall); " + std::to_string(patched_.size()) +
            " patched without a query; rescored: " + std::to_string(rescored_own) +
            " own line changed, " + std::to_string(rescored_unchecked) + " reached by more than " +
            std::to_string(max_checks) + " changed lines";
        for (std::size_t r = 1; r < rescored_because.size(); ++r) {
            if (rescored_because[r] == 0) continue;
            plan_.note +=
                ", " + std::to_string(rescored_because[r]) + " " +
                std::string(matcher::ImpactReasonName(static_cast<matcher::ImpactReason>(r)));
        }
        return {};
    }

    // The rows and summary of a demand whose stored top-k matcher::PatchTopK patched exactly:
    // unchanged lines keep their stored row (new rank), changed lines get a row from their
    // fresh candidate. The summary keeps the base run's normaliser (PatchTopK requires it to
    // stay) and its generated / examined counts (as a carried demand does).
    struct Patched {
        std::vector<schema::ResultRow> rows;
        schema::DemandSummary summary;
    };
    Patched PatchedRows(const matcher::DemandLine* demand,
                        const schema::DemandSummary& base,
                        const std::vector<schema::ResultRow>& stored_rows,
                        const matcher::TopKPatch& patch,
                        const matcher::ChangeIndex& changes) {
        Patched out;
        std::int64_t rank = 0;
        for (const auto& e : patch.top) {
            schema::ResultRow row;
            if (e.stored_index) {
                row = stored_rows.at(*e.stored_index);
            } else {
                row.demand_id = demand->id;
                row.supply_id = e.id;
                const auto* change = changes.Find(e.id);
                const auto* line = change != nullptr ? change->line : nullptr;
                row.vendor_id = line != nullptr ? line->vendor_id : 0;
                row.score = e.fresh.score;
                for (std::size_t f = 0; f < e.fresh.features.size(); ++f) {
                    row.features[f] = e.fresh.features[f].value;
                }
            }
            row.rank = ++rank;
            row.allocated_quantity.reset();
            out.rows.push_back(row);
        }
        out.summary = base;
        out.summary.demand_revision = demand->revision;
        out.summary.carried = true;
        out.summary.candidates = static_cast<std::int64_t>(out.rows.size());
        out.summary.kth_score = out.rows.size() == static_cast<std::size_t>(run_.top_k)
                                    ? std::optional<double>(out.rows.back().score)
                                    : std::nullopt;
        out.summary.quantity = demand->quantity;
        return out;
    }

    // Supply line `line_id` as of revision `revision`, from line_history: the fields the reach
    // test and the text comparison read (title, description, brand, model, classifications;
    // `status` = the revision's status). nullopt when the history row is missing.
    Result<std::optional<matcher::SupplyLine>> OldSupply(std::int64_t line_id,
                                                         std::int64_t revision) {
        std::string status;
        auto body = env_.db->Read([&](schema::Connection& c) -> Result<std::optional<std::string>> {
            auto stmt = c.Prepare(
                "SELECT body, status FROM line_history WHERE entity = 'supply' AND line_id = ? "
                "AND revision = ?");
            if (!stmt) return stmt.error();
            stmt->BindAll(line_id, revision);
            auto row = stmt->Step();
            if (!row) return row.error();
            if (!*row) return std::optional<std::string>();
            status = stmt->ColumnText(1);
            return std::optional<std::string>(stmt->ColumnText(0));
        });
        if (!body) return body.error();
        if (!*body) return std::optional<matcher::SupplyLine>();
        auto doc = ParseDocument(**body);
        if (!doc || !doc->IsObject()) return std::optional<matcher::SupplyLine>();
        matcher::SupplyLine s;
        s.id = line_id;
        s.status = status;
        auto str = [&](const char* key) -> std::string {
            auto it = doc->FindMember(key);
            return it != doc->MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
        };
        s.title = str("title");
        s.description = str("description");
        s.brand = str("brand");
        s.model = str("model");
        auto cls = [](const JsonValue& v) {
            matcher::Classification c;
            if (v.IsObject() && v.HasMember("scheme") && v["scheme"].IsString() &&
                v.HasMember("id") && v["id"].IsString()) {
                c.scheme = v["scheme"].GetString();
                c.id = v["id"].GetString();
            }
            return c;
        };
        if (auto it = doc->FindMember("classification"); it != doc->MemberEnd()) {
            s.classification = cls(it->value);
        }
        if (auto it = doc->FindMember("additionalClassifications");
            it != doc->MemberEnd() && it->value.IsArray()) {
            for (const auto& v : it->value.GetArray()) {
                s.additional_classifications.push_back(cls(v));
            }
        }
        return std::optional<matcher::SupplyLine>(std::move(s));
    }

    // Returns {"", ""} when every batch is stored, else {status, error}.
    std::pair<std::string, std::string> Batches() {
        const std::size_t batch = std::max<std::size_t>(1, env_.batch_size);
        const auto k = static_cast<std::size_t>(run_.top_k);
        for (std::size_t start = 0; start < demands_.size(); start += batch) {
            const std::size_t end = std::min(demands_.size(), start + batch);
            std::vector<matcher::DemandLine> to_score;
            std::vector<std::int64_t> carried;
            std::vector<const Patched*> patched;
            for (std::size_t i = start; i < end; ++i) {
                const auto* d = demands_[i];
                if (base_ && !rescore_.contains(d->id)) {
                    if (auto p = patched_.find(d->id); p != patched_.end()) {
                        patched.push_back(&p->second);
                    } else {
                        carried.push_back(d->id);
                    }
                } else {
                    to_score.push_back(*d);
                }
            }
            const auto t0 = std::chrono::steady_clock::now();
            std::vector<matcher::MatchResult> results;
            if (!to_score.empty()) {
                results = matcher::MatchDemandsBatch(*view_.supply, to_score, k, config_, context_,
                                                     std::max(1u, env_.threads));
            }
            const auto t1 = std::chrono::steady_clock::now();
            for (const auto& r : results) {
                if (r.unpinned_terms.empty()) continue;
                stats_.Pin(r.unpinned_terms);
                pinned_.insert(pinned_.end(), r.unpinned_terms.begin(), r.unpinned_terms.end());
            }

            std::vector<schema::ResultRow> rows;
            std::vector<schema::DemandSummary> summaries;
            std::map<std::int64_t, std::vector<schema::ResultRow>> by_demand;
            for (std::size_t i = 0; i < to_score.size(); ++i) {
                const auto& d = to_score[i];
                const auto& r = results[i];
                auto& mine = by_demand[d.id];
                std::int64_t rank = 0;
                for (const auto& c : r.candidates) {
                    schema::ResultRow row;
                    row.demand_id = d.id;
                    row.rank = ++rank;
                    row.supply_id = c.id;
                    const auto* line = view_.supply->Find(c.id);
                    row.vendor_id = line != nullptr ? line->vendor_id : 0;
                    row.score = c.score;
                    for (std::size_t f = 0; f < c.features.size(); ++f) {
                        row.features[f] = c.features[f].value;
                    }
                    mine.push_back(row);
                    rows.push_back(row);
                }
                schema::DemandSummary s;
                s.demand_id = d.id;
                s.demand_revision = d.revision;
                s.candidates = static_cast<std::int64_t>(r.candidates.size());
                s.generated = static_cast<std::int64_t>(r.generated);
                s.examined = static_cast<std::int64_t>(r.examined);
                if (r.candidates.size() == k) s.kth_score = r.candidates.back().score;
                s.quantity = d.quantity;
                s.text_normaliser = r.text_normaliser;
                s.text_normaliser_id = r.text_normaliser_id;
                summaries.push_back(s);
                progress_.pairs_examined += s.examined;
                progress_.candidates_generated += s.generated;
            }
            for (const Patched* p : patched) {
                by_demand[p->summary.demand_id] = p->rows;
                rows.insert(rows.end(), p->rows.begin(), p->rows.end());
                summaries.push_back(p->summary);
            }

            // Diff against the previous succeeded run (carried demands are unchanged from it:
            // the base of an incremental run is that previous run).
            std::vector<schema::DiffRow> diffs;
            if (previous_ && !by_demand.empty()) {
                auto before = env_.db->Read([&](schema::Connection& c) {
                    return schema::ResultsInRange(c, previous_->id, by_demand.begin()->first,
                                                  by_demand.rbegin()->first);
                });
                if (!before) return {"failed", "reading the previous results failed"};
                std::map<std::int64_t, std::vector<schema::ResultRow>> old;
                for (const auto& r : *before) old[r.demand_id].push_back(r);
                for (const auto& [demand, now_rows] : by_demand) {
                    auto found = old.find(demand);
                    static const std::vector<schema::ResultRow> kNone;
                    for (auto& row : DiffRows(demand, found == old.end() ? kNone : found->second,
                                              now_rows, k)) {
                        (row.change == "entered" ? progress_.entered_count
                                                 : progress_.left_count)++;
                        diffs.push_back(std::move(row));
                    }
                }
            } else if (!previous_) {
                for (const auto& [demand, now_rows] : by_demand) {
                    for (auto& row : DiffRows(demand, {}, now_rows, k)) {
                        ++progress_.entered_count;
                        diffs.push_back(std::move(row));
                    }
                }
            }

            progress_.progress_done = static_cast<std::int64_t>(end);
            progress_.demands_scored += static_cast<std::int64_t>(to_score.size());
            progress_.demands_carried += static_cast<std::int64_t>(carried.size() + patched.size());
            progress_.results_count += static_cast<std::int64_t>(rows.size());
            progress_.scoring_ms +=
                std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0).count();
            std::int64_t copied_total = 0;
            auto written = env_.db->Write([&](schema::Connection& c) -> Result<void> {
                if (auto r = schema::InsertResults(c, run_.id, rows); !r) return r;
                if (auto r = schema::InsertDemandSummaries(c, run_.id, summaries); !r) return r;
                for (const auto id : carried) {
                    auto copied = schema::CarryForward(c, base_->id, run_.id, id);
                    if (!copied) return copied.error();
                    copied_total += *copied;
                }
                if (auto r = schema::InsertDiffs(c, run_.id, diffs); !r) return r;
                if (auto r = schema::PinTerms(c, epoch_, pinned_); !r) return r;
                auto p = progress_;
                p.results_count += copied_total;
                return schema::UpdateProgress(c, run_.id, p, Now());
            });
            if (!written) {
                return {"failed", "writing results failed: " + written.error().message()};
            }
            pinned_.clear();
            progress_.results_count += copied_total;
            progress_.writing_ms += std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now() - t1)
                                        .count();
            Report();

            if (env_.stop != nullptr && env_.stop->load()) {
                return {"failed", "interrupted by shutdown"};
            }
            auto cancel = env_.db->Read(
                [&](schema::Connection& c) { return schema::CancelRequested(c, run_.id); });
            if (cancel && cancel->requested) return {"cancelled", "cancelled on request"};
        }
        return {};
    }

    RunOutcome Complete() {
        schema::RunFinish finish;
        finish.status = "succeeded";
        std::vector<std::tuple<std::int64_t, std::int64_t, double>> allocated;  // demand,rank,q
        std::vector<schema::UnassignedRow> unassigned;
        if (run_.allocate) {
            const auto t0 = std::chrono::steady_clock::now();
            auto rows = env_.db->Read([&](schema::Connection& c) {
                return schema::ResultsInRange(c, run_.id, 0,
                                              std::numeric_limits<std::int64_t>::max());
            });
            if (!rows) return Finish("failed", "reading results for allocation failed");
            matcher::AllocationProblem problem;
            std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> rank_of;
            std::unordered_set<std::int64_t> supplies;
            std::size_t next = 0;
            for (const auto* d : demands_) {
                matcher::AllocationDemand demand;
                demand.id = d->id;
                demand.quantity = d->quantity;
                while (next < rows->size() && (*rows)[next].demand_id < d->id) ++next;
                for (; next < rows->size() && (*rows)[next].demand_id == d->id; ++next) {
                    const auto& r = (*rows)[next];
                    demand.candidates.push_back({r.supply_id, r.score});
                    rank_of[{r.demand_id, r.supply_id}] = r.rank;
                    supplies.insert(r.supply_id);
                }
                problem.demands.push_back(std::move(demand));
            }
            for (const auto id : supplies) {
                const auto* line = view_.supply->Find(id);
                problem.supplies.push_back(
                    {id, line != nullptr ? line->capacity_per_month : std::nullopt});
            }
            std::sort(problem.supplies.begin(), problem.supplies.end(),
                      [](const auto& a, const auto& b) { return a.id < b.id; });
            auto solved = matcher::Allocate(problem);
            if (auto* error = std::get_if<matcher::AllocationError>(&solved)) {
                return Finish("failed",
                              "allocation failed: " + error->field + ": " + error->message);
            }
            const auto& allocation = std::get<matcher::Allocation>(solved);
            for (const auto& a : allocation.assignments) {
                allocated.emplace_back(a.demand_id, rank_of[{a.demand_id, a.supply_id}],
                                       a.quantity);
            }
            double unassigned_total = 0;
            for (const auto& u : allocation.unassigned) {
                // One row per demand: several reasons for one demand are joined.
                if (!unassigned.empty() && unassigned.back().demand_id == u.demand_id) {
                    unassigned.back().quantity += u.quantity;
                    unassigned.back().reason +=
                        "," + std::string(matcher::UnassignedReasonName(u.reason));
                } else {
                    unassigned.push_back({u.demand_id, u.quantity,
                                          std::string(matcher::UnassignedReasonName(u.reason))});
                }
                unassigned_total += u.quantity;
            }
            finish.allocated_quantity = allocation.assigned;
            finish.unassigned_quantity = unassigned_total;
            progress_.allocation_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - t0)
                                          .count();
        }
        finish.progress = progress_;
        bool applied = false;
        auto done = env_.db->Write([&](schema::Connection& c) -> Result<void> {
            for (const auto& [demand, rank, quantity] : allocated) {
                if (auto r = schema::SetAllocatedQuantity(c, run_.id, demand, rank, quantity); !r) {
                    return r;
                }
            }
            if (auto r = schema::InsertUnassigned(c, run_.id, unassigned); !r) return r;
            auto t = schema::FinishRun(c, run_.id, finish, Now());
            if (!t) return t.error();
            applied = t->applied;
            return {};
        });
        if (!done)
            return Finish("failed", "storing the final state failed: " + done.error().message());
        RunOutcome out;
        out.progress = progress_;
        if (!applied) {
            // Cancelled or failed by someone else meanwhile: report what the row says.
            auto row =
                env_.db->Read([&](schema::Connection& c) { return schema::FindRun(c, run_.id); });
            out.status = row && *row ? (*row)->status : "failed";
            out.error = row && *row ? (*row)->error : "the run row disappeared";
            return out;
        }
        out.status = "succeeded";
        Report();
        return out;
    }

    RunOutcome Finish(std::string status, std::string error) {
        schema::RunFinish finish;
        finish.status = status;
        finish.error = error;
        finish.progress = progress_;
        auto done = env_.db->Write(
            [&](schema::Connection& c) { return schema::FinishRun(c, run_id_, finish, Now()); });
        RunOutcome out;
        out.status = std::move(status);
        out.error = std::move(error);
        out.progress = progress_;
        if (done && !done->applied) {
            auto row =
                env_.db->Read([&](schema::Connection& c) { return schema::FindRun(c, run_id_); });
            if (row && *row) {
                out.status = (*row)->status;
                if (!(*row)->error.empty()) out.error = (*row)->error;
            }
        }
        Report();
        return out;
    }

    void Report() {
        if (!env_.on_progress) return;
        auto row =
            env_.db->Read([&](schema::Connection& c) { return schema::FindRun(c, run_id_); });
        if (row && *row) env_.on_progress(**row);
    }

    const RunEnvironment& env_;
    std::int64_t run_id_;
    schema::RunRecord run_;
    matcher::MatchConfig config_;
    matcher::MatchContext context_;
    MatchIndex::View view_;
    std::optional<schema::RunRecord> previous_;
    std::optional<schema::RunRecord> base_;
    schema::RunPlan plan_;
    std::vector<const matcher::DemandLine*> demands_;
    std::unordered_set<std::int64_t> rescore_;
    std::unordered_map<std::int64_t, Patched> patched_;  // incremental: patched demands
    matcher::CorpusStatistics stats_;
    std::int64_t epoch_ = 0;
    std::vector<std::pair<std::string, std::uint32_t>> pinned_;  // pinned, not yet stored
    schema::RunProgress progress_;
};

}  // namespace

unsigned DefaultRunThreads() {
    return std::max(1u, std::thread::hardware_concurrency());
}

RunOutcome ExecuteRun(const RunEnvironment& env, std::int64_t run_id) {
    if (env.db == nullptr) return RunOutcome{"failed", "no database", {}};
    return Executor(env, run_id).Run();
}

// ---- resources and routes ------------------------------------------------------------------

std::string RunJson(const schema::RunRecord& run) {
    JsonWriter w;
    w.StartObject().Field("id", run.id).Field("mode", run.mode).Field("status", run.status);
    w.Key("scope").StartObject();
    if (!run.scope.classification_prefix.empty()) {
        w.Field("classificationPrefix", run.scope.classification_prefix);
    }
    if (!run.scope.region.empty()) w.Field("region", run.scope.region);
    if (run.scope.org_id) w.Field("orgId", *run.scope.org_id);
    w.EndObject();
    w.Field("allocate", run.allocate).Field("weights", run.weights);
    w.Field("configVersion", run.config_version).Field("topK", run.top_k);
    w.Field("runner", run.runner).Field("cancelRequested", run.cancel_requested);
    w.Key("progress").StartObject().Field("done", run.progress_done);
    w.Field("total", run.progress_total);
    w.Field("fraction", run.progress_total > 0 ? static_cast<double>(run.progress_done) /
                                                     static_cast<double>(run.progress_total)
                                               : (run.status == "succeeded" ? 1.0 : 0.0));
    w.EndObject();
    w.Key("counts").StartObject();
    w.Field("demands", run.demands_total).Field("demandsScored", run.demands_scored);
    w.Field("demandsCarried", run.demands_carried).Field("results", run.results_count);
    w.Field("pairsExamined", run.pairs_examined);
    w.Field("candidatesGenerated", run.candidates_generated);
    w.Field("supplyLines", run.supply_lines);
    w.Field("entered", run.entered_count).Field("left", run.left_count);
    w.Field("allocatedQuantity", run.allocated_quantity);
    w.Field("unassignedQuantity", run.unassigned_quantity);
    w.EndObject();
    w.Key("timings").StartObject();
    w.Field("createdAt", FormatTimestampMs(run.created_at_ms));
    if (run.started_at_ms) w.Field("startedAt", FormatTimestampMs(*run.started_at_ms));
    if (run.finished_at_ms) w.Field("finishedAt", FormatTimestampMs(*run.finished_at_ms));
    if (run.started_at_ms && run.finished_at_ms) {
        w.Field("elapsedMs", *run.finished_at_ms - *run.started_at_ms);
    }
    w.Field("scoringMs", run.scoring_ms).Field("writingMs", run.writing_ms);
    w.Field("allocationMs", run.allocation_ms);
    w.EndObject();
    w.Field("changeSeq", run.change_seq);
    if (run.as_of_day) w.Field("asOfDay", *run.as_of_day);
    w.Field("baseRunId", run.base_run_id).Field("previousRunId", run.previous_run_id);
    if (!run.error.empty()) w.Field("error", run.error);
    if (!run.note.empty()) w.Field("note", run.note);
    w.EndObject();
    return w.Take();
}

namespace {

std::optional<std::int64_t> PositiveInt(std::string_view text) {
    std::int64_t v = 0;
    const char* end = text.data() + text.size();
    if (text.empty() || std::from_chars(text.data(), end, v).ptr != end || v <= 0) {
        return std::nullopt;
    }
    return v;
}

ApiError BadQueryParam(std::string field, std::string message, std::string code = "bad_query") {
    ApiError e = ApiError::Make(Errc::kInvalidArgument, message, std::move(code));
    e.details.push_back({std::nullopt, std::move(field), "invalid_value", std::move(message)});
    return e;
}

ApiError NoSuchRun() {
    return ApiError::Make(Errc::kNotFound, "no such match run");
}

// Cursors are opaque: hex of "<a>.<b>.<check>", check = FNV-1a over (scope, a, b). They guard
// against hand-edited or mixed-up cursors (400), not against an attacker: access is checked on
// every request regardless.
std::uint64_t Fnv1a(std::string_view text) {
    std::uint64_t h = 1469598103934665603ULL;
    for (const char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}
std::string EncodeRunCursor(std::string_view scope, std::int64_t a, std::int64_t b) {
    const std::string plain = std::to_string(a) + "." + std::to_string(b);
    const std::uint64_t check = Fnv1a(std::string(scope) + "|" + plain) & 0xffffffffULL;
    const std::string text = plain + "." + std::to_string(check);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const char c : text) {
        const auto ch = static_cast<unsigned char>(c);
        out += kHex[ch >> 4];
        out += kHex[ch & 15];
    }
    return out;
}
std::optional<std::pair<std::int64_t, std::int64_t>> DecodeRunCursor(std::string_view scope,
                                                                     std::string_view cursor) {
    if (cursor.empty() || cursor.size() % 2 != 0 || cursor.size() > 160) return std::nullopt;
    std::string plain;
    for (std::size_t i = 0; i < cursor.size(); i += 2) {
        unsigned v = 0;
        const char* b = cursor.data() + i;
        if (std::from_chars(b, b + 2, v, 16).ptr != b + 2) return std::nullopt;
        plain += static_cast<char>(v);
    }
    const auto d1 = plain.find('.');
    const auto d2 = plain.find('.', d1 == std::string::npos ? 0 : d1 + 1);
    if (d1 == std::string::npos || d2 == std::string::npos) return std::nullopt;
    std::int64_t a = 0, b = 0;
    const std::string sa = plain.substr(0, d1), sb = plain.substr(d1 + 1, d2 - d1 - 1);
    if (std::from_chars(sa.data(), sa.data() + sa.size(), a).ptr != sa.data() + sa.size() ||
        std::from_chars(sb.data(), sb.data() + sb.size(), b).ptr != sb.data() + sb.size()) {
        return std::nullopt;
    }
    if (EncodeRunCursor(scope, a, b) != cursor) return std::nullopt;
    return std::pair{a, b};
}

ApiError BadCursor() {
    ApiError e = ApiError::Make(Errc::kMalformed, "not a cursor of this listing", "bad_cursor");
    e.details.push_back({std::nullopt, "cursor", "invalid_value", e.message});
    return e;
}

ApiResult<std::int64_t> Limit(const RequestContext& ctx, std::int64_t fallback) {
    std::int64_t limit = fallback;
    if (auto l = ctx.query.Get("limit")) {
        const auto v = PositiveInt(*l);
        if (!v || *v > 1000)
            return BadQueryParam("limit", "limit must be an integer from 1 to 1000");
        limit = *v;
    }
    return limit;
}

Reply PostRun(RequestContext& ctx) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    auto request = DecodeRunRequest(ctx.request.body());
    if (!request) return request.error();
    if (ctx.app.runs == nullptr) {
        return ApiError::Make(Errc::kUnavailable, "match runs are not enabled on this server",
                              "runs_unavailable");
    }
    const schema::NewRun fresh = [&] {
        schema::NewRun n = MakeNewRun(*request, "server", ctx.now_ms);
        n.requested_by_key = ctx.principal->key_id;
        n.requested_by_org = ctx.principal->org_id;
        n.request_id = ctx.request_id;
        return n;
    }();
    const std::string scope_key = fresh.scope.Key();
    std::optional<ApiError> refusal;
    auto created = ctx.app.runs->Submit(scope_key, [&]() -> ApiResult<schema::RunRecord> {
        auto stored = ctx.app.db->Write([&](schema::Connection& c) -> Result<schema::RunRecord> {
            // A run of this scope started elsewhere (the CLI) also holds the scope.
            auto active = schema::ActiveRuns(c);
            if (!active) return active.error();
            for (const auto& r : *active) {
                if (r.scope_key == scope_key) {
                    refusal = ApiError::Make(
                        Errc::kConflict,
                        "run " + std::to_string(r.id) + " of this scope is " + r.status,
                        "run_in_progress");
                    refusal->headers.emplace_back("Location",
                                                  "/v1/match-runs/" + std::to_string(r.id));
                    return Errc::kConflict;
                }
            }
            auto run = schema::InsertRun(c, fresh);
            if (!run) return run.error();
            auto audit =
                RecordAudit(c, ctx, "match_run.create", "match_run", std::to_string(run->id),
                            std::nullopt, run->mode + " " + scope_key);
            if (!audit) return audit.error();
            return run;
        });
        if (!stored) {
            if (refusal) return *refusal;
            return ToApiError(stored.error(), "the run could not be stored");
        }
        return *stored;
    });
    if (!created) return created.error();
    HttpResponse response = JsonResponse(http::status::accepted, RunJson(*created));
    response.set(http::field::location, "/v1/match-runs/" + std::to_string(created->id));
    return response;
}

Reply GetRun(RequestContext& ctx) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    const auto id = PositiveInt(ctx.Param("id"));
    if (!id) return NoSuchRun();
    auto found = ctx.app.db->Read([&](schema::Connection& c) { return schema::FindRun(c, *id); });
    if (!found) return ToApiError(found.error());
    if (!*found) return NoSuchRun();
    return JsonResponse(http::status::ok, RunJson(**found));
}

Reply ListRunsRoute(RequestContext& ctx) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    schema::RunQuery q;
    q.status = std::string(ctx.query.Get("status").value_or(""));
    static const std::set<std::string> kStatuses = {"queued", "running", "succeeded", "failed",
                                                    "cancelled"};
    if (!q.status.empty() && !kStatuses.contains(q.status)) {
        return BadQueryParam("status",
                             "status must be queued, running, succeeded, failed or cancelled");
    }
    const std::string scope = "runs|" + q.status;
    auto limit = Limit(ctx, 50);
    if (!limit) return limit.error();
    q.limit = *limit + 1;
    if (auto c = ctx.query.Get("cursor")) {
        const auto at = DecodeRunCursor(scope, *c);
        if (!at) return BadCursor();
        q.before_id = at->first;
    }
    auto rows = ctx.app.db->Read([&](schema::Connection& c) { return schema::ListRuns(c, q); });
    if (!rows) return ToApiError(rows.error());
    const bool more = static_cast<std::int64_t>(rows->size()) > *limit;
    if (more) rows->pop_back();
    std::string body = "{\"items\":[";
    for (std::size_t i = 0; i < rows->size(); ++i) {
        if (i > 0) body += ',';
        body += RunJson((*rows)[i]);
    }
    body += "],";
    JsonWriter tail;
    tail.StartObject();
    if (more) tail.Field("nextCursor", EncodeRunCursor(scope, rows->back().id, 0));
    tail.Field("hasMore", more).EndObject();
    const std::string t = tail.Take();
    body += t.substr(1);  // the members of `tail` without its opening brace
    return JsonResponse(http::status::ok, std::move(body));
}

Reply DeleteRun(RequestContext& ctx) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    const auto id = PositiveInt(ctx.Param("id"));
    if (!id) return NoSuchRun();
    auto changed =
        ctx.app.db->Write([&](schema::Connection& c) -> Result<std::optional<schema::RunRecord>> {
            auto before = schema::FindRun(c, *id);
            if (!before) return before.error();
            if (!*before) return std::optional<schema::RunRecord>();
            if ((*before)->terminal()) return before;
            auto after = schema::RequestCancel(c, *id, ctx.now_ms);
            if (!after) return after.error();
            auto audit = RecordAudit(c, ctx, "match_run.cancel", "match_run", std::to_string(*id),
                                     std::nullopt, "was " + (*before)->status);
            if (!audit) return audit.error();
            return after;
        });
    if (!changed) return ToApiError(changed.error(), "the run could not be cancelled");
    if (!*changed) return NoSuchRun();
    const schema::RunRecord& run = **changed;
    if (run.terminal() && run.status != "cancelled") {
        ApiError e = ApiError::Make(Errc::kConflict,
                                    "run " + std::to_string(run.id) + " already " + run.status,
                                    "run_finished");
        return e;
    }
    if (ctx.app.runs != nullptr) ctx.app.runs->Cancelled(run.id);
    // 202 while the executor still has to notice; 200 once the run is cancelled.
    return JsonResponse(run.status == "cancelled" ? http::status::ok : http::status::accepted,
                        RunJson(run));
}

void WriteResult(JsonWriter& w, const schema::ResultRow& r, const matcher::MatchConfig& config) {
    w.StartObject().Field("demandId", r.demand_id).Field("rank", r.rank);
    w.Field("supplyId", r.supply_id).Field("vendorId", r.vendor_id).Field("score", r.score);
    if (r.allocated_quantity) w.Field("allocatedQuantity", *r.allocated_quantity);
    w.Key("features").StartArray();
    for (std::size_t f = 0; f < r.features.size(); ++f) {
        const auto feature = static_cast<matcher::Feature>(f);
        const double weight = config.Weight(feature);
        w.StartObject().Field("feature", matcher::FeatureName(feature));
        w.Field("value", r.features[f]).Field("weight", weight);
        w.Field("contribution", weight * r.features[f]).EndObject();
    }
    w.EndArray().EndObject();
}

Reply GetResults(RequestContext& ctx) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    const auto id = PositiveInt(ctx.Param("id"));
    if (!id) return NoSuchRun();
    auto found = ctx.app.db->Read([&](schema::Connection& c) { return schema::FindRun(c, *id); });
    if (!found) return ToApiError(found.error());
    if (!*found) return NoSuchRun();
    const schema::RunRecord& run = **found;
    schema::ResultQuery q;
    q.run_id = run.id;
    std::string scope = "results|" + std::to_string(run.id);
    if (auto d = ctx.query.Get("demand")) {
        const auto demand = PositiveInt(*d);
        if (!demand) return BadQueryParam("demand", "demand must be a demand line id");
        q.demand_id = demand;
        scope += "|" + std::to_string(*demand);
    }
    if (ctx.principal->role == Role::kBuyer) {
        q.demand_org_id = ctx.principal->org_id;  // a buyer sees its own demands' results only
    }
    auto limit = Limit(ctx, 100);
    if (!limit) return limit.error();
    q.limit = *limit + 1;
    if (auto c = ctx.query.Get("cursor")) {
        const auto at = DecodeRunCursor(scope, *c);
        if (!at) return BadCursor();
        q.after_demand = at->first;
        q.after_rank = at->second;
    }
    auto rows = ctx.app.db->Read([&](schema::Connection& c) { return schema::ListResults(c, q); });
    if (!rows) return ToApiError(rows.error());
    const bool more = static_cast<std::int64_t>(rows->size()) > *limit;
    if (more) rows->pop_back();
    auto config = WeightsProfile(run.weights).value_or(matcher::MatchConfig{});
    JsonWriter w;
    w.StartObject().Field("runId", run.id).Field("status", run.status);
    w.Field("configVersion", run.config_version).Key("items").StartArray();
    for (const auto& r : *rows) WriteResult(w, r, config);
    w.EndArray();
    if (more)
        w.Field("nextCursor", EncodeRunCursor(scope, rows->back().demand_id, rows->back().rank));
    w.Field("hasMore", more).EndObject();
    return JsonResponse(http::status::ok, w.Take());
}

Reply GetDiff(RequestContext& ctx) {
    if (ctx.app.db == nullptr) return ApiError::Make(Errc::kUnavailable, "no database");
    const auto id = PositiveInt(ctx.Param("id"));
    if (!id) return NoSuchRun();
    std::optional<std::int64_t> demand;
    if (auto d = ctx.query.Get("demand")) {
        demand = PositiveInt(*d);
        if (!demand) return BadQueryParam("demand", "demand must be a demand line id");
    }
    auto found = ctx.app.db->Read([&](schema::Connection& c) { return schema::FindRun(c, *id); });
    if (!found) return ToApiError(found.error());
    if (!*found) return NoSuchRun();
    auto rows =
        ctx.app.db->Read([&](schema::Connection& c) -> Result<std::vector<schema::DiffRow>> {
            auto diffs = schema::ListDiffs(c, *id, demand);
            if (!diffs || ctx.principal->role != Role::kBuyer) return diffs;
            // A buyer sees its own demands only.
            std::vector<schema::DiffRow> mine;
            std::unordered_map<std::int64_t, bool> own;
            for (auto& r : *diffs) {
                auto it = own.find(r.demand_id);
                if (it == own.end()) {
                    auto line = schema::FindLine(c, "demand", r.demand_id);
                    if (!line) return line.error();
                    it = own.emplace(r.demand_id, *line && (*line)->org_id == ctx.principal->org_id)
                             .first;
                }
                if (it->second) mine.push_back(std::move(r));
            }
            return mine;
        });
    if (!rows) return ToApiError(rows.error());
    JsonWriter w;
    w.StartObject().Field("runId", *id).Field("previousRunId", (*found)->previous_run_id);
    w.Key("items").StartArray();
    for (const auto& r : *rows) {
        w.StartObject().Field("demandId", r.demand_id).Field("supplyId", r.supply_id);
        w.Field("change", r.change).Field("oldRank", r.old_rank).Field("newRank", r.new_rank);
        w.EndObject();
    }
    w.EndArray().EndObject();
    return JsonResponse(http::status::ok, w.Take());
}

}  // namespace

ApiResult<std::string> StoredCandidates(schema::Database& db, const StoredCandidatesQuery& query) {
    std::optional<std::int64_t> run_id;
    if (query.run == "latest") {
        auto latest = db.Read([&](schema::Connection& c) {
            return schema::LatestSucceededRunForDemand(c, query.demand_id);
        });
        if (!latest) return ToApiError(latest.error());
        if (!*latest) {
            return ApiError::Make(Errc::kNotFound, "no succeeded match run covers this demand",
                                  "no_stored_run");
        }
        run_id = *latest;
    } else {
        run_id = PositiveInt(query.run);
        if (!run_id) return BadQueryParam("run", "run must be \"latest\" or a match run id");
    }
    auto found = db.Read([&](schema::Connection& c) { return schema::FindRun(c, *run_id); });
    if (!found) return ToApiError(found.error());
    if (!*found) return NoSuchRun();
    schema::ResultQuery q;
    q.run_id = *run_id;
    q.demand_id = query.demand_id;
    q.limit = 1000;
    auto rows = db.Read([&](schema::Connection& c) { return schema::ListResults(c, q); });
    if (!rows) return ToApiError(rows.error());
    const auto config = WeightsProfile((*found)->weights).value_or(matcher::MatchConfig{});
    JsonWriter w;
    w.StartObject().Field("demandId", query.demand_id).Field("runId", *run_id);
    w.Field("runStatus", (*found)->status).Field("configVersion", (*found)->config_version);
    if ((*found)->finished_at_ms) w.Field("scoredAt", FormatTimestampMs(*(*found)->finished_at_ms));
    w.Key("candidates").StartArray();
    for (const auto& r : *rows) WriteResult(w, r, config);
    w.EndArray().EndObject();
    return w.Take();
}

void RegisterMatchRunRoutes(Router& router) {
    router.Add(http::verb::post, "/v1/match-runs", PostRun,
               RouteOptions::Authenticated("match_runs.create", {Role::kJob}, 64 * 1024));
    router.Add(http::verb::get, "/v1/match-runs", ListRunsRoute,
               RouteOptions::Authenticated("match_runs.list", {Role::kJob, Role::kBuyer}));
    router.Add(http::verb::get, "/v1/match-runs/{id}", GetRun,
               RouteOptions::Authenticated("match_runs.get", {Role::kJob, Role::kBuyer}));
    router.Add(http::verb::delete_, "/v1/match-runs/{id}", DeleteRun,
               RouteOptions::Authenticated("match_runs.cancel", {Role::kJob}));
    router.Add(http::verb::get, "/v1/match-runs/{id}/results", GetResults,
               RouteOptions::Authenticated("match_runs.results", {Role::kJob, Role::kBuyer}));
    router.Add(http::verb::get, "/v1/match-runs/{id}/diff", GetDiff,
               RouteOptions::Authenticated("match_runs.diff", {Role::kJob, Role::kBuyer}));
}

}  // namespace renewmatch::api
