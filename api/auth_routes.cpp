// RegisterAccessRoutes (declared in api/auth.hpp): every route of issue 3.
#include "api/audit.hpp"
#include "api/auth.hpp"
#include "api/keys.hpp"
#include "api/orgs.hpp"

namespace renewmatch::api {

void RegisterAccessRoutes(Router& router) {
    RegisterOrgRoutes(router);
    RegisterKeyRoutes(router);
    RegisterAuditRoutes(router);
}

}  // namespace renewmatch::api
