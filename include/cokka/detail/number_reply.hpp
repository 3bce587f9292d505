#pragma once
// ask<R> of a number of another type: `ask<long>` of an `int` reply is a long. Converted only when every value
// of the reply's type is exactly an R (decided by the types, never by the value at hand), so a conversion
// never depends on what the handler happened to return.

#include <cokka/detail/c_string.hpp>
#include <cokka/message.hpp>
#include <cokka/promise.hpp>

#include <limits>
#include <type_traits>

namespace cokka::detail {

/// Arithmetic types that take part in reply conversions. bool and the character types are not numbers here:
/// `true` is no answer to `ask<int>`, and an `int` is no answer to `ask<bool>` or `ask<char>`.
template <class T>
inline constexpr bool is_number = std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && !is_character<T>;

/// True when a reply of type S converts to R for `ask<R>`: every S value is exactly an R value. That is:
/// an integer to an integer with at least as many value bits and not from signed to unsigned (int to long,
/// unsigned to long long; never long to int, never int to unsigned); an integer to a floating-point type with
/// at least as many mantissa bits (int to double; not int to float, not long long to double); a floating-point
/// type to one at least as wide (float to double). Never floating-point to integer.
template <class S, class R>
consteval bool is_lossless_number() {
  using From = std::numeric_limits<S>;
  using To = std::numeric_limits<R>;
  if constexpr (!is_number<S> || !is_number<R> || std::is_same_v<S, R>)
    return false;
  else if constexpr (std::is_integral_v<S> && std::is_integral_v<R>)
    return To::digits >= From::digits && (To::is_signed || !From::is_signed);
  else if constexpr (std::is_integral_v<S>)
    return To::digits >= From::digits;
  else if constexpr (std::is_floating_point_v<R>)
    return To::digits >= From::digits && To::max_exponent >= From::max_exponent &&
           To::min_exponent <= From::min_exponent;
  else
    return false;
}

template <class... Numbers>
struct NumberTypes {};
using StandardNumbers = NumberTypes<signed char, short, int, long, long long, unsigned char, unsigned short,
                                    unsigned, unsigned long, unsigned long long, float, double, long double>;

template <class R, class... Numbers>
bool set_lossless_number(Promise<R>& promise, const Message& reply, NumberTypes<Numbers...>) {
  auto set_from = [&]<class S>(const S* number) {
    if (number) promise.set_value(static_cast<R>(*number));
    return number != nullptr;
  };
  return (... || (is_lossless_number<Numbers, R>() && set_from(reply.get_if<Numbers>())));
}

/// Sets `promise` to the number `reply` holds when its type converts to R (is_lossless_number) and returns
/// true; false, leaving `promise` unset, for any other reply or an R that is not a number.
template <class R>
bool set_lossless_number(Promise<R>& promise, const Message& reply) {
  if constexpr (is_number<R>)
    return set_lossless_number(promise, reply, StandardNumbers{});
  else
    return false;
}

}  // namespace cokka::detail
