#pragma once
// Preprocessor loops behind COKKA_REFLECT. Two independent loop families (sections, names) because a
// loop that re-enters its own helper from inside itself stops expanding ("painted blue").

#define COKKA_DETAIL_PARENS ()

// --- loop over the sections: methods(...), fields(...), traversable(...) ---
#define COKKA_DETAIL_SEC_EXPAND(...) \
  COKKA_DETAIL_SEC_EXPAND3(COKKA_DETAIL_SEC_EXPAND3(COKKA_DETAIL_SEC_EXPAND3(COKKA_DETAIL_SEC_EXPAND3(__VA_ARGS__))))
#define COKKA_DETAIL_SEC_EXPAND3(...) \
  COKKA_DETAIL_SEC_EXPAND2(COKKA_DETAIL_SEC_EXPAND2(COKKA_DETAIL_SEC_EXPAND2(COKKA_DETAIL_SEC_EXPAND2(__VA_ARGS__))))
#define COKKA_DETAIL_SEC_EXPAND2(...) \
  COKKA_DETAIL_SEC_EXPAND1(COKKA_DETAIL_SEC_EXPAND1(COKKA_DETAIL_SEC_EXPAND1(COKKA_DETAIL_SEC_EXPAND1(__VA_ARGS__))))
#define COKKA_DETAIL_SEC_EXPAND1(...) __VA_ARGS__

/// Expands Pass_<kind>(Type, name) for every name of every section.
#define COKKA_DETAIL_SECTIONS(Pass, Type, ...) \
  __VA_OPT__(COKKA_DETAIL_SEC_EXPAND(COKKA_DETAIL_SEC_HELPER(Pass, Type, __VA_ARGS__)))
#define COKKA_DETAIL_SEC_HELPER(Pass, Type, section, ...) \
  COKKA_DETAIL_SECTION(Pass, Type, section)               \
  __VA_OPT__(COKKA_DETAIL_SEC_AGAIN COKKA_DETAIL_PARENS(Pass, Type, __VA_ARGS__))
#define COKKA_DETAIL_SEC_AGAIN() COKKA_DETAIL_SEC_HELPER

// `methods(a, b)` pastes into `COKKA_DETAIL_KIND_methods(a, b)`, which yields `cokka_method_, a, b`; the extra
// indirection re-splits that into separate macro arguments.
#define COKKA_DETAIL_SECTION(Pass, Type, section) COKKA_DETAIL_SECTION_I(Pass, Type, COKKA_DETAIL_KIND_##section)
#define COKKA_DETAIL_SECTION_I(Pass, Type, ...) COKKA_DETAIL_SECTION_II(Pass, Type, __VA_ARGS__)
#define COKKA_DETAIL_SECTION_II(Pass, Type, kind, ...) COKKA_DETAIL_NAMES(Pass##_##kind, Type, __VA_ARGS__)

#define COKKA_DETAIL_KIND_methods(...) cokka_method_ __VA_OPT__(, ) __VA_ARGS__
#define COKKA_DETAIL_KIND_fields(...) cokka_field_ __VA_OPT__(, ) __VA_ARGS__
#define COKKA_DETAIL_KIND_traversable(...) cokka_traversable_ __VA_OPT__(, ) __VA_ARGS__

// --- loop over the names of one section ---
#define COKKA_DETAIL_NAMES_EXPAND(...)                                                                           \
  COKKA_DETAIL_NAMES_EXPAND3(                                                                                   \
      COKKA_DETAIL_NAMES_EXPAND3(COKKA_DETAIL_NAMES_EXPAND3(COKKA_DETAIL_NAMES_EXPAND3(__VA_ARGS__))))
#define COKKA_DETAIL_NAMES_EXPAND3(...)                                                                          \
  COKKA_DETAIL_NAMES_EXPAND2(                                                                                   \
      COKKA_DETAIL_NAMES_EXPAND2(COKKA_DETAIL_NAMES_EXPAND2(COKKA_DETAIL_NAMES_EXPAND2(__VA_ARGS__))))
#define COKKA_DETAIL_NAMES_EXPAND2(...)                                                                          \
  COKKA_DETAIL_NAMES_EXPAND1(                                                                                   \
      COKKA_DETAIL_NAMES_EXPAND1(COKKA_DETAIL_NAMES_EXPAND1(COKKA_DETAIL_NAMES_EXPAND1(__VA_ARGS__))))
#define COKKA_DETAIL_NAMES_EXPAND1(...) __VA_ARGS__

#define COKKA_DETAIL_NAMES(Macro, Type, ...) \
  __VA_OPT__(COKKA_DETAIL_NAMES_EXPAND(COKKA_DETAIL_NAMES_HELPER(Macro, Type, __VA_ARGS__)))
#define COKKA_DETAIL_NAMES_HELPER(Macro, Type, name, ...) \
  Macro(Type, name) __VA_OPT__(COKKA_DETAIL_NAMES_AGAIN COKKA_DETAIL_PARENS(Macro, Type, __VA_ARGS__))
#define COKKA_DETAIL_NAMES_AGAIN() COKKA_DETAIL_NAMES_HELPER
