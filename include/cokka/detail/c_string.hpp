#pragma once
// C strings in messages and replies. A string literal or a `const char*` kept as a pointer would dangle as
// soon as the message outlives the sender's buffer, and `ask<std::string>` could never match it; so messages
// and replies hold them as the std::basic_string of their character type.

#include <cokka/errors.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace cokka::detail {

template <class C>
inline constexpr bool is_character =
    std::is_same_v<C, char> || std::is_same_v<C, wchar_t> || std::is_same_v<C, char8_t> ||
    std::is_same_v<C, char16_t> || std::is_same_v<C, char32_t>;

/// The character type of a C string type (an array of, or a pointer to, char, wchar_t, char8_t, char16_t or
/// char32_t), void for any other type. `signed char` and `unsigned char` are bytes, not characters.
template <class T>
struct CStringChar {
  using type = void;
};
template <class C>
  requires is_character<std::remove_cv_t<C>>
struct CStringChar<C*> {
  using type = std::remove_cv_t<C>;
};
template <class C, std::size_t N>
  requires is_character<std::remove_cv_t<C>>
struct CStringChar<C[N]> {
  using type = std::remove_cv_t<C>;
};

/// True for C string types, also behind references and top-level const.
template <class T>
inline constexpr bool is_c_string = !std::is_void_v<typename CStringChar<std::remove_cvref_t<T>>::type>;

/// What a message or reply holds for a value of type T: the std::basic_string of a C string's characters,
/// T itself otherwise.
template <class T>
struct MessageValue {
  using type = T;
};
template <class T>
  requires is_c_string<T>
struct MessageValue<T> {
  using type = std::basic_string<typename CStringChar<std::remove_cvref_t<T>>::type>;
};
template <class T>
using message_value_t = typename MessageValue<T>::type;

/// The characters of an array up to its first null character, or all of them: never reads past the array.
template <class C, std::size_t N>
std::basic_string<std::remove_cv_t<C>> copy_c_array(C (&array)[N]) {
  using Char = std::remove_cv_t<C>;
  const Char* end = std::char_traits<Char>::find(array, N, Char{});
  return std::basic_string<Char>(array, end ? static_cast<std::size_t>(end - array) : N);
}

/// The characters up to the terminating null. Throws InvalidState for a null pointer.
template <class C>
std::basic_string<std::remove_cv_t<C>> copy_c_string(C* pointer) {
  if (pointer == nullptr) throw InvalidState("cokka: a null char pointer is not a string; send a std::string");
  return std::basic_string<std::remove_cv_t<C>>(pointer);
}

/// A C string as its std::basic_string, any other argument as it is: what a message or a proxy call keeps.
template <class T>
decltype(auto) own_c_string(T&& value) {
  if constexpr (is_c_string<T> && std::is_array_v<std::remove_reference_t<T>>)
    return copy_c_array(value);
  else if constexpr (is_c_string<T>)
    return copy_c_string(value);
  else
    return std::forward<T>(value);
}

}  // namespace cokka::detail
