#pragma once

#include <cokka/detail/type_name.hpp>

#include <fmt/format.h>

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace cokka::detail {

template <class K>
concept TimerKeyType = std::equality_comparable<K> && std::copy_constructible<K> && requires(const K& key) {
  { std::hash<K>{}(key) } -> std::convertible_to<std::size_t>;
};

/// A timer's key, type-erased: any equality-comparable, hashable, copyable value (an enum is typical). Keys of
/// different types never compare equal. Small keys are stored in place; larger ones are shared, immutable.
class TimerKey {
public:
  // TimerKey itself is ruled out first: checking TimerKeyType<TimerKey> would recurse through this constructor.
  template <class K>
    requires(!std::is_same_v<K, TimerKey> && TimerKeyType<K>)
  explicit TimerKey(K key) : ops_(&ops_for<K>) {
    if constexpr (stored_in_place<K>)
      ::new (static_cast<void*>(storage_)) K(std::move(key));
    else
      ::new (static_cast<void*>(storage_)) std::shared_ptr<const K>(std::make_shared<const K>(std::move(key)));
  }
  TimerKey(const TimerKey& other) noexcept : ops_(other.ops_) { ops_->copy(other.storage_, storage_); }
  TimerKey& operator=(const TimerKey& other) noexcept {
    if (this != &other) {
      ops_->destroy(storage_);
      ops_ = other.ops_;
      ops_->copy(other.storage_, storage_);
    }
    return *this;
  }
  ~TimerKey() { ops_->destroy(storage_); }

  friend bool operator==(const TimerKey& a, const TimerKey& b) noexcept {
    return a.ops_ == b.ops_ && a.ops_->equal(a.storage_, b.storage_);
  }
  std::size_t hash() const noexcept { return ops_->hash(storage_); }
  /// "Type(value)" where the value is formattable, else the type's name: for error messages.
  std::string describe() const { return ops_->describe(storage_); }

  struct Hash {
    std::size_t operator()(const TimerKey& key) const noexcept { return key.hash(); }
  };

private:
  static constexpr std::size_t size = 16;

  template <class K>
  static constexpr bool stored_in_place =
      sizeof(K) <= size && alignof(K) <= alignof(std::max_align_t) && std::is_nothrow_copy_constructible_v<K>;

  template <class K>
  static const K& value(const void* storage) noexcept {
    if constexpr (stored_in_place<K>)
      return *static_cast<const K*>(storage);
    else
      return **static_cast<const std::shared_ptr<const K>*>(storage);
  }

  template <class K>
  static std::string describe_key(const void* storage) {
    const K& key = value<K>(storage);
    if constexpr (fmt::is_formattable<K>::value)
      return type_name<K>() + "(" + fmt::format("{}", key) + ")";
    else if constexpr (std::is_enum_v<K>)
      return type_name<K>() + "(" + std::to_string(static_cast<std::underlying_type_t<K>>(key)) + ")";
    else
      return "a key of type " + type_name<K>();
  }

  struct Ops {
    bool (*equal)(const void*, const void*) noexcept;
    std::size_t (*hash)(const void*) noexcept;
    void (*copy)(const void* from, void* to) noexcept;  // in-place keys copy without throwing, shared ones share
    void (*destroy)(void*) noexcept;
    std::string (*describe)(const void*);
  };

  template <class K>
  static constexpr Ops ops_for{
      [](const void* a, const void* b) noexcept { return value<K>(a) == value<K>(b); },
      [](const void* key) noexcept { return static_cast<std::size_t>(std::hash<K>{}(value<K>(key))); },
      [](const void* from, void* to) noexcept {
        if constexpr (stored_in_place<K>)
          ::new (to) K(value<K>(from));
        else
          ::new (to) std::shared_ptr<const K>(*static_cast<const std::shared_ptr<const K>*>(from));
      },
      [](void* key) noexcept {
        if constexpr (stored_in_place<K>)
          static_cast<K*>(key)->~K();
        else
          static_cast<std::shared_ptr<const K>*>(key)->~shared_ptr();
      },
      &describe_key<K>,
  };

  const Ops* ops_;
  alignas(std::max_align_t) unsigned char storage_[size];
};

}  // namespace cokka::detail
