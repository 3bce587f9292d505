/// @file
/// cokka::Message: the type-erased, move-only value an actor receives (and a reply travels in).
#pragma once

#include <cokka/detail/c_string.hpp>
#include <cokka/detail/type_name.hpp>
#include <cokka/errors.hpp>

#include <concepts>
#include <cstddef>
#include <new>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace cokka {

/// Holds one value of any movable type, or nothing (the reply of a `void` handler).
///
/// A C string (a string literal, a char array or a `const char*`) is held as a `std::string`, so that
/// `tell("Bob")` and a handler returning `"pong"` behave as `std::string("Bob")` and `std::string("pong")`.
/// The other character types follow the same rule (`u8"..."` becomes a `std::u8string`, `L"..."` a
/// `std::wstring`, ...).
///
/// Small values whose move constructor cannot throw are stored inline (no allocation); others on the heap.
/// Move-only; not thread-safe: a message belongs to one handler at a time.
class Message {
public:
  /// An empty message: `has_value()` is false.
  Message() noexcept = default;

  /// Moves (or copies, for an lvalue) `value` into the message. A C string is copied into a std::string up
  /// to its first null character (for an array: never past its end). Throws InvalidState for a null C string
  /// pointer, what the move or copy throws, or std::bad_alloc for a value stored on the heap.
  template <class T>
    requires(!std::same_as<std::remove_cvref_t<T>, Message>)
  Message(T&& value) {  // NOLINT(google-explicit-constructor): any value is a message
    emplace<detail::message_value_t<std::remove_cvref_t<T>>>(detail::own_c_string(std::forward<T>(value)));
  }

  /// Takes `other`'s value, leaving `other` empty.
  Message(Message&& other) noexcept { take(other); }
  /// Destroys the held value, then takes `other`'s, leaving `other` empty.
  Message& operator=(Message&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  ~Message() { reset(); }

  /// True unless the message is empty.
  bool has_value() const noexcept { return vtable_ != nullptr; }

  /// True when the message holds exactly a `T` (no conversions, no base classes). Naming a C string type
  /// fails to compile: the message holds a std::string instead.
  template <class T>
  bool is() const noexcept {
    static_assert(!detail::is_c_string<T>,
                  "cokka::Message never holds a C string: a string literal or char pointer is stored as a "
                  "std::string (std::u8string, std::wstring, ... for other characters), so name that type");
    return vtable_ == &vtable_for<T> || (vtable_ != nullptr && vtable_->type == typeid(T));
  }

  /// The held `T`; you may move out of it. Throws BadMessageType naming both types when it holds no `T`
  /// (`as<std::string>()` for a message sent as a string literal).
  template <class T>
  T& as() {
    if (T* value = get_if<T>()) return *value;
    throw_bad_type(detail::type_name<T>());
  }

  /// A pointer to the held `T`, or nullptr when the message holds something else.
  template <class T>
  T* get_if() noexcept {
    return is<T>() ? static_cast<T*>(address()) : nullptr;
  }
  /// A pointer to the held `T`, or nullptr when the message holds something else (const overload).
  template <class T>
  const T* get_if() const noexcept {
    return is<T>() ? static_cast<const T*>(address()) : nullptr;
  }

  /// typeid of the held value, typeid(void) when empty.
  const std::type_info& type() const noexcept { return vtable_ ? vtable_->type : typeid(void); }

  /// Readable name of the held type ("void" when empty), for logs and errors.
  const std::string& type_name() const noexcept;

private:
  static constexpr std::size_t inline_size = 48;

  struct VTable {
    const std::type_info& type;
    const std::string& (*name)() noexcept;
    bool stored_inline;
    void (*move)(void* from, void* to) noexcept;  // inline storage only
    void (*destroy)(void* storage) noexcept;
  };

  template <class T>
  static constexpr bool fits_inline = sizeof(T) <= inline_size && alignof(T) <= alignof(std::max_align_t) &&
                                      std::is_nothrow_move_constructible_v<T>;

  template <class T>
  static const std::string& name_of() noexcept {
    return detail::type_name<T>();
  }

  template <class T>
  static constexpr VTable vtable_for{
      typeid(T), &name_of<T>, fits_inline<T>,
      [](void* from, void* to) noexcept {
        if constexpr (fits_inline<T>) {
          ::new (to) T(std::move(*static_cast<T*>(from)));
          static_cast<T*>(from)->~T();
        }
      },
      [](void* storage) noexcept {
        if constexpr (fits_inline<T>)
          static_cast<T*>(storage)->~T();
        else
          delete *static_cast<T**>(storage);
      }};

  // Each refusal alone: the storing code below is not instantiated for a type it cannot hold.
  template <class T, class... Args>
  void emplace(Args&&... args) {
    if constexpr (std::is_array_v<T>) {
      static_assert(!std::is_array_v<T>,
                    "cokka::Message: an array is not a message (only C strings are, as std::string); send a "
                    "std::array or a std::vector");
    } else if constexpr (std::is_function_v<T>) {
      static_assert(!std::is_function_v<T>,
                    "cokka::Message: a function is not a message; send a function pointer or a std::function");
    } else if constexpr (!std::is_move_constructible_v<T>) {
      static_assert(std::is_move_constructible_v<T>, "cokka::Message: a message must be movable");
    } else {
      if constexpr (fits_inline<T>)
        ::new (static_cast<void*>(storage_)) T(std::forward<Args>(args)...);
      else
        *reinterpret_cast<T**>(storage_) = new T(std::forward<Args>(args)...);
      vtable_ = &vtable_for<T>;
    }
  }

  void* address() const noexcept {
    auto* storage = const_cast<unsigned char*>(storage_);
    return vtable_->stored_inline ? static_cast<void*>(storage) : *reinterpret_cast<void**>(storage);
  }

  void take(Message& other) noexcept {
    if (!other.vtable_) return;
    if (other.vtable_->stored_inline)
      other.vtable_->move(other.storage_, storage_);
    else
      *reinterpret_cast<void**>(storage_) = *reinterpret_cast<void**>(other.storage_);
    vtable_ = std::exchange(other.vtable_, nullptr);
  }

  void reset() noexcept {
    if (vtable_) std::exchange(vtable_, nullptr)->destroy(storage_);
  }

  [[noreturn]] void throw_bad_type(const std::string& wanted) const;

  const VTable* vtable_ = nullptr;
  alignas(std::max_align_t) unsigned char storage_[inline_size];
};

}  // namespace cokka
