// core's public routes: GET /healthz (alive), GET /readyz (database answers and every readiness
// condition is met), GET /v1/openapi.yaml (the embedded OpenAPI document).
//
// Thread-safety: the handlers are stateless; they read AppContext (thread-safe members only).
#pragma once

#include "api/router.hpp"

#include <string_view>

namespace renewmatch::api {

// The OpenAPI document (api/openapi.yaml), embedded at build time.
std::string_view OpenApiDocument() noexcept;

// Registers the three routes (RegisterHealthRoutes is also declared in api/router.hpp).
void RegisterHealthRoutes(Router& router);

}  // namespace renewmatch::api
