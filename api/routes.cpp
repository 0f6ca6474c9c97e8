// RegisterAllRoutes: every owner's routes, one line each (add yours with a small edit).
#include "api/auth.hpp"
#include "api/health.hpp"
#include "api/lists.hpp"
#include "api/match.hpp"
#include "api/match_runs.hpp"
#include "api/router.hpp"

namespace renewmatch::api {

void RegisterAllRoutes(Router& router) {
    RegisterHealthRoutes(router);
    RegisterAccessRoutes(router);
    RegisterListRoutes(router);
    RegisterMatchRoutes(router);
    RegisterMatchRunRoutes(router);
}

}  // namespace renewmatch::api
