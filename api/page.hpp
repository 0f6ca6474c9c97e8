// Encoding of id-keyed pages, the response shape shared by the admin listings (orgs, audit):
//   {"items":[…],"nextCursor":"<id of the last item>" | null}
// The cursor is the last item's id; the store's next query takes "id > cursor".
//
// Thread-safety: stateless.
#pragma once

#include "api/json.hpp"
#include "api/response.hpp"

#include <string>
#include <vector>

namespace renewmatch::api {

// `write_item(JsonWriter&, const Item&)` writes one element; Item has an integer `id`.
template <class Item, class WriteItem>
HttpResponse IdPageResponse(const std::vector<Item>& items, bool has_more, WriteItem write_item) {
    JsonWriter w;
    w.StartObject().Key("items").StartArray();
    for (const auto& item : items) write_item(w, item);
    w.EndArray();
    if (has_more && !items.empty()) {
        w.Field("nextCursor", std::to_string(items.back().id));
    } else {
        w.NullField("nextCursor");
    }
    w.EndObject();
    return JsonResponse(http::status::ok, w.Take());
}

}  // namespace renewmatch::api
