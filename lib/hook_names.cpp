#include "cokka/detail/hook_names.hpp"

#include "log.hpp"

namespace cokka::detail {

void warn_near_misses(const std::string& actor_type, std::span<const NearMiss> misses) {
  for (const auto& miss : misses)
    log(spdlog::level::warn,
        "{} has a member {} that looks like the hook {}, which it does not have: cokka finds hooks by their exact "
        "names only, so {} never runs as a hook",
        actor_type, miss.member, miss.hook, miss.member);
}

}  // namespace cokka::detail
