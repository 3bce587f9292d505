// Future composition: map, filter, reduce, then, join, get_all. Included at the end of cokka/future.hpp.
#pragma once

#include <cokka/future.hpp>
#include <cokka/promise.hpp>

#include <asio/bind_executor.hpp>
#include <asio/execution/executor.hpp>
#include <asio/is_executor.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace cokka {
namespace detail {

/// The one door into Future's internals for composition code.
struct FutureAccess {
  template <class T>
  static const FutureSource<T>& source(const Future<T>& future) {
    return future.checked();
  }
  template <class T>
  static Future<T> make(FutureSource<T> source) {
    return Future<T>(std::move(source));
  }
};

template <class T, class Compute>
Future<T> make_derived(FutureRoots roots, Compute compute) {
  auto node = std::make_shared<ComputedNode<T, Compute>>(std::move(roots), std::move(compute));
  return FutureAccess::make(FutureSource<T>{nullptr, std::move(node)});
}

/// Completes `out` with `f(args...)`, or with nothing when `Out` is void.
template <class Out, class F, class... Args>
void set_invoke_result(FutureState<Out>& out, F&& f, Args&&... args) {
  if constexpr (std::is_void_v<Out>) {
    std::invoke(std::forward<F>(f), std::forward<Args>(args)...);
    out.set_value();
  } else {
    out.set_value(std::invoke(std::forward<F>(f), std::forward<Args>(args)...));
  }
}

/// The value of a ready source as stored in a tuple: std::monostate for void.
template <class T>
typename FutureState<T>::Stored stored_value(const FutureSource<T>& source) {
  if constexpr (std::is_void_v<T>) {
    source.settle().value();
    return {};
  } else {
    return source.settle().value();
  }
}

/// An element of a range value the computation owns (its own copy) may be moved out; an element seen through
/// a view (a borrowed range such as std::span) belongs to someone else and is only read.
template <class Range, class E>
decltype(auto) element(E& e) {
  if constexpr (std::ranges::borrowed_range<Range>)
    return std::as_const(e);
  else
    return std::move(e);
}

template <class T, class F>
using MapResult = std::remove_cvref_t<
    typename std::conditional_t<std::is_void_v<T>, std::invoke_result<F&>, std::invoke_result<F&, T>>::type>;

template <class T, class F>
struct MapCompute {
  FutureSource<T> source;
  F f;
  void operator()(FutureState<MapResult<T, F>>& out) {
    if constexpr (std::is_void_v<T>) {
      source.settle().value();
      set_invoke_result(out, f);
    } else {
      set_invoke_result(out, f, source.settle().value());
    }
  }
};

template <class Range>
using Elements = std::vector<std::ranges::range_value_t<Range>>;

template <class Range, class Pred>
struct FilterCompute {
  FutureSource<Range> source;
  Pred pred;
  void operator()(FutureState<Elements<Range>>& out) {
    Elements<Range> kept;
    for (auto&& e : source.settle().value())
      if (std::invoke(pred, std::as_const(e))) kept.emplace_back(element<Range>(e));
    out.set_value(std::move(kept));
  }
};

template <class Range, class F>
struct ReduceCompute {
  using Value = std::ranges::range_value_t<Range>;
  FutureSource<Range> source;
  F f;
  void operator()(FutureState<Value>& out) {
    Range range = source.settle().value();
    auto it = std::ranges::begin(range);
    const auto end = std::ranges::end(range);
    if (it == end)
      throw InvalidState("cokka::Future::reduce(f): the range is empty, so there is nothing to reduce; "
                         "give an initial value with reduce(f, init)");
    auto&& first = *it;
    Value acc(element<Range>(first));
    for (++it; it != end; ++it) {
      auto&& e = *it;
      acc = std::invoke(f, std::move(acc), element<Range>(e));
    }
    out.set_value(std::move(acc));
  }
};

template <class Range, class F, class Init>
struct FoldCompute {
  FutureSource<Range> source;
  F f;
  Init init;
  void operator()(FutureState<Init>& out) {
    Init acc = init;
    for (auto&& e : source.settle().value()) acc = std::invoke(f, std::move(acc), element<Range>(e));
    out.set_value(std::move(acc));
  }
};

template <class... Ts>
struct JoinCompute {
  using Out = std::tuple<typename FutureState<Ts>::Stored...>;
  std::tuple<FutureSource<Ts>...> sources;
  void operator()(FutureState<Out>& out) {
    // Braced initialisation reads the inputs left to right, so the first failure in argument order wins.
    std::apply([&out](const auto&... source) { out.set_value(Out{stored_value(source)...}); }, sources);
  }
};

/// The completion handler of Future::then: runs f with the ready future and completes the result's promise.
template <class T, class F, class R>
struct ThenCall {
  F f;
  Promise<R> promise;
  void operator()(Future<T> ready) {
    try {
      if constexpr (std::is_void_v<R>) {
        std::invoke(std::move(f), std::move(ready));
        promise.set_value();
      } else {
        promise.set_value(std::invoke(std::move(f), std::move(ready)));
      }
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  }
};

/// Deliver policy of then: the handler gets the (ready) future itself. Then's handlers have no cancellation slot.
template <class T>
struct DeliverFuture {
  /// A continuation is no wait of its executor's actor (it never fails with AskCycle).
  static constexpr bool awaits = false;
  template <class Handler>
  static void complete(Handler handler, std::exception_ptr, const FutureSource<T>& source) {
    std::move(handler)(FutureAccess::make(source));
  }
};

template <class X>
struct FutureValue {
  static_assert(!std::is_same_v<X, X>, "cokka::get_all: pass a range whose elements are cokka::Future<T>");
};
template <class T>
struct FutureValue<Future<T>> {
  using type = T;
};

/// get_all's body: waits for each future in order (`wait(source, index)` returns false on timeout), then
/// takes its value.
template <class Range, class Wait>
auto collect_all(const Range& futures, Wait wait) {
  static_assert(std::ranges::input_range<const Range>, "cokka::get_all: pass a range (a container or view) of futures");
  using T = typename FutureValue<std::ranges::range_value_t<const Range>>::type;
  std::size_t index = 0;
  if constexpr (std::is_void_v<T>) {
    for (const Future<T>& future : futures) {
      const auto& source = FutureAccess::source(future);
      wait(source, index++);
      source.settle().value();
    }
  } else {
    std::vector<T> values;
    if constexpr (std::ranges::sized_range<const Range>) values.reserve(std::ranges::size(futures));
    for (const Future<T>& future : futures) {
      const auto& source = FutureAccess::source(future);
      wait(source, index++);
      values.push_back(source.settle().value());
    }
    return values;
  }
}

}  // namespace detail

template <class T>
template <class Executor, class F>
auto Future<T>::then(const Executor& executor, F&& f) const {
  static_assert(asio::execution::is_executor<Executor>::value || asio::is_executor<Executor>::value,
                "cokka::Future<T>::then(executor, f): the first argument must be an Asio executor "
                "(e.g. io_context.get_executor() or a strand)");
  using Fn = std::decay_t<F>;
  static_assert(std::is_invocable_v<Fn, Future<T>>,
                "cokka::Future<T>::then(executor, f): f must be callable with the ready cokka::Future<T>");
  using R = std::remove_cvref_t<std::invoke_result_t<Fn, Future<T>>>;
  Promise<R> promise;
  auto result = promise.get_future();
  auto handler = asio::bind_executor(executor, detail::ThenCall<T, Fn, R>{Fn(std::forward<F>(f)), std::move(promise)});
  detail::AsyncWaitOp<T, decltype(handler), detail::DeliverFuture<T>>::start(checked(), std::move(handler));
  return result;
}

template <class T>
template <class F>
auto Future<T>::map(F&& f) const {
  using Fn = std::decay_t<F>;
  if constexpr (std::is_void_v<T>)
    static_assert(std::is_invocable_v<Fn&>, "cokka::Future<void>::map(f): f must be callable with no arguments");
  else
    static_assert(std::is_invocable_v<Fn&, T>, "cokka::Future<T>::map(f): f must be callable with a T");
  using R = detail::MapResult<T, Fn>;
  const auto& source = checked();
  return detail::make_derived<R>(source.roots(), detail::MapCompute<T, Fn>{source, Fn(std::forward<F>(f))});
}

template <class T>
template <class Pred>
auto Future<T>::filter(Pred&& pred) const {
  static_assert(std::ranges::input_range<T>, "cokka::Future<T>::filter(pred): T must be a range (a container or view)");
  using P = std::decay_t<Pred>;
  static_assert(std::is_invocable_r_v<bool, P&, const std::ranges::range_value_t<T>&>,
                "cokka::Future<T>::filter(pred): pred must be callable with a const element and return a bool");
  const auto& source = checked();
  return detail::make_derived<detail::Elements<T>>(source.roots(),
                                                   detail::FilterCompute<T, P>{source, P(std::forward<Pred>(pred))});
}

template <class T>
template <class F>
auto Future<T>::reduce(F&& f) const {
  static_assert(std::ranges::input_range<T>, "cokka::Future<T>::reduce(f): T must be a range (a container or view)");
  using Fn = std::decay_t<F>;
  using Value = std::ranges::range_value_t<T>;
  static_assert(std::is_invocable_r_v<Value, Fn&, Value, Value>,
                "cokka::Future<T>::reduce(f): f must be callable as f(accumulated, element) and return an element");
  const auto& source = checked();
  return detail::make_derived<Value>(source.roots(), detail::ReduceCompute<T, Fn>{source, Fn(std::forward<F>(f))});
}

template <class T>
template <class F, class Init>
auto Future<T>::reduce(F&& f, Init&& init) const {
  static_assert(std::ranges::input_range<T>, "cokka::Future<T>::reduce(f, init): T must be a range (a container or view)");
  using Fn = std::decay_t<F>;
  using I = std::decay_t<Init>;
  static_assert(std::is_copy_constructible_v<I>,
                "cokka::Future<T>::reduce(f, init): init must be copyable (each computation starts from a copy)");
  static_assert(std::is_invocable_r_v<I, Fn&, I, std::ranges::range_value_t<T>>,
                "cokka::Future<T>::reduce(f, init): f must be callable as f(accumulated, element) and return "
                "the type of init");
  const auto& source = checked();
  return detail::make_derived<I>(
      source.roots(), detail::FoldCompute<T, Fn, I>{source, Fn(std::forward<F>(f)), I(std::forward<Init>(init))});
}

template <class... Ts>
auto join(const Future<Ts>&... futures) {
  detail::FutureRoots roots;
  [[maybe_unused]] const auto add_roots = [&roots](const detail::FutureRoots& more) { roots.insert(roots.end(), more.begin(), more.end()); };
  (add_roots(detail::FutureAccess::source(futures).roots()), ...);
  using Compute = detail::JoinCompute<Ts...>;
  return detail::make_derived<typename Compute::Out>(std::move(roots),
                                                     Compute{{detail::FutureAccess::source(futures)...}});
}

template <class Range, class Rep, class Period>
auto get_all(const Range& futures, std::chrono::duration<Rep, Period> timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  return detail::collect_all(futures, [&](const auto& source, std::size_t index) {
    if (!source.wait_until(deadline))
      throw Timeout("cokka::get_all: future #" + std::to_string(index) + " had no result within " +
                    std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
                    " ms, one deadline for all the futures");
  });
}

template <class Range>
auto get_all(const Range& futures) {
  return detail::collect_all(futures, [](const auto& source, std::size_t) { source.wait(); });
}

}  // namespace cokka
