// Confidential-field encoding: the one place that decides whether a field of an organisation's
// record may be shown to whoever is asking.
//
// A record belongs to one organisation (its owner). A field is public, or confidential to the
// owner: then only the owner's keys and administrators see it, and for everyone else the
// encoder leaves the field out altogether (the key too, so "null" does not hint at a value).
// Handlers do not decide this; they encode records through a RecordWriter bound to the viewer
// and the owner, and mark fields as Public or Confidential. The lists engineer's encoders for
// demand lines use WriteBudget, which applies the demand's budget visibility:
//   public  everyone sees {"amount","currency","visibility"};
//   range   the owner and admins see the amount; others see a band {"min","max"} on the
//           1-2-5 series that contains it (e.g. 730000 -> [500000, 1000000)) and no amount;
//   hidden  the owner and admins see the amount; others see no "budget" member at all.
//
// Thread-safety: Viewer is a value; a RecordWriter wraps one JsonWriter and belongs to one thread.
#pragma once

#include "api/json.hpp"
#include "api/principal.hpp"
#include "matcher/domain.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace renewmatch::api {

// Who is looking. Built from the request's principal (nullptr on public routes = anonymous).
struct Viewer {
    std::optional<std::int64_t> org_id;  // nullopt: anonymous
    bool admin = false;

    static Viewer From(const Principal* principal);
    static Viewer Anonymous() { return {}; }
};

enum class FieldVisibility { kPublic, kOwnerOnly };

// Whether `viewer` may see a field with `visibility` on a record owned by `owner_org_id`.
bool MaySee(const Viewer& viewer, std::int64_t owner_org_id, FieldVisibility visibility);

// Writes the members of one JSON object for a record owned by `owner_org_id`. The caller opens
// and closes the object on the JsonWriter; RecordWriter only writes members.
class RecordWriter {
  public:
    RecordWriter(JsonWriter& writer, const Viewer& viewer, std::int64_t owner_org_id)
        : writer_(writer), viewer_(viewer), owner_org_id_(owner_org_id) {}

    // True when the viewer sees confidential fields of this record (owner or admin).
    bool insider() const { return MaySee(viewer_, owner_org_id_, FieldVisibility::kOwnerOnly); }

    template <class T>
    RecordWriter& Public(std::string_view key, const T& value) {
        writer_.Field(key, value);
        return *this;
    }
    // Written only for insiders; omitted (key and value) for everyone else.
    template <class T>
    RecordWriter& Confidential(std::string_view key, const T& value) {
        if (insider()) writer_.Field(key, value);
        return *this;
    }

    JsonWriter& raw() { return writer_; }

  private:
    JsonWriter& writer_;
    Viewer viewer_;
    std::int64_t owner_org_id_;
};

// The 1-2-5 band [min, max) containing `amount` (> 0): 730000 -> {500000, 1000000}.
struct BudgetBand {
    double min = 0;
    double max = 0;
};
BudgetBand BudgetBandFor(double amount);

// Writes the "budget" member per the visibility rules above (nothing when `amount` is empty).
void WriteBudget(RecordWriter& record,
                 const std::optional<double>& amount,
                 std::string_view currency,
                 matcher::BudgetVisibility visibility);

}  // namespace renewmatch::api
