// Misuse of proxies that must not compile. CMake builds this file once per case with COKKA_CASE_<name>
// defined and expects the compiler to fail with the case's static_assert text; with no case defined it
// must compile (so each failure comes from its case, not from a broken file).
#include <cokka/cokka.hpp>
#include <cokka/proxy.hpp>

#include <optional>
#include <string>

namespace misuse {

struct Unregistered {
  void f() {}
};

struct Calculator : cokka::Actor<Calculator> {
  int add(int a, int b = 0) { return a + b; }
  std::optional<int> last_result;
#if defined(COKKA_CASE_traversable_not_reflected)
  Unregistered inner;
#endif
};

#if defined(COKKA_CASE_field_not_data_member)
COKKA_REFLECT(Calculator, fields(last_result, add));
#elif defined(COKKA_CASE_method_misspelled)
COKKA_REFLECT(Calculator, methods(ad), fields(last_result));
#elif defined(COKKA_CASE_traversable_not_reflected)
COKKA_REFLECT(Calculator, methods(add), fields(last_result), traversable(inner));
#else
COKKA_REFLECT(Calculator, methods(add), fields(last_result));
#endif

struct Plain : cokka::Actor<Plain> {};

void misuse(cokka::System& system) {
  auto calc = system.start<Calculator>().proxy();
  calc.add(1, 2).get();
  calc.last_result.set(3).get();
#if defined(COKKA_CASE_bad_arguments)
  calc.add(std::string("one"));
#elif defined(COKKA_CASE_too_many_arguments)
  calc.add.defer(1, 2, 3);
#elif defined(COKKA_CASE_set_method)
  calc.add.set(1);
#elif defined(COKKA_CASE_set_wrong_type)
  calc.last_result.set(std::string("text"));
#elif defined(COKKA_CASE_field_with_arguments)
  calc.last_result(1);
#elif defined(COKKA_CASE_unregistered_actor)
  system.start<Plain>().proxy();
#endif
}

}  // namespace misuse

