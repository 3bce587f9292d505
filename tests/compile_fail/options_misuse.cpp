// Start options that must not compile (see CMakeLists.txt: one build per COKKA_CASE_<name>; with no case defined
// the file compiles).
#include <cokka/cokka.hpp>

#include <memory>

namespace misuse {

struct Holder : cokka::Actor<Holder> {
  explicit Holder(std::shared_ptr<int> value) : value_(std::move(value)) {}
  std::shared_ptr<int> value_;
};

struct MoveOnlyHolder : cokka::Actor<MoveOnlyHolder> {
  explicit MoveOnlyHolder(std::unique_ptr<int> value) : value_(std::move(value)) {}
  std::unique_ptr<int> value_;
};

void start(cokka::System& system) {
  system.start<Holder>(cokka::ActorOptions{.restart = cokka::RestartPolicy{}}, std::make_shared<int>(1));
  system.start<MoveOnlyHolder>(std::make_unique<int>(1));  // without options, moved in as before
#if defined(COKKA_CASE_options_move_only_argument)
  system.start<MoveOnlyHolder>(cokka::ActorOptions{.restart = cokka::RestartPolicy{}}, std::make_unique<int>(1));
#endif
}

}  // namespace misuse
