/// @file
/// cokka::Headers: string headers that travel with a message, the tracing context of cokka::Interceptor.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cokka {

/// Name-value pairs carried by a message, in the order they were first set (a W3C `traceparent`, a request id).
/// Names compare exactly (lower case by convention, as HTTP/2 has them). A few entries are expected: lookups are a
/// linear scan. A plain value type: not thread-safe, copy it to share it.
class Headers {
public:
  /// One header: its name and its value.
  using Entry = std::pair<std::string, std::string>;

  /// Sets `name` to `value`, replacing the value it had.
  void set(std::string_view name, std::string value) {
    for (auto& [key, old] : entries_)
      if (key == name) {
        old = std::move(value);
        return;
      }
    entries_.emplace_back(std::string(name), std::move(value));
  }

  /// The value of `name`; null when it is not set. Valid until the next change of these headers.
  const std::string* find(std::string_view name) const noexcept {
    for (const auto& [key, value] : entries_)
      if (key == name) return &value;
    return nullptr;
  }

  /// Removes `name`; false when it was not set.
  bool erase(std::string_view name) {
    return std::erase_if(entries_, [name](const Entry& entry) { return entry.first == name; }) > 0;
  }

  /// True when no header is set.
  bool empty() const noexcept { return entries_.empty(); }
  /// How many headers are set.
  std::size_t size() const noexcept { return entries_.size(); }
  /// The first entry, in the order they were set.
  std::vector<Entry>::const_iterator begin() const noexcept { return entries_.begin(); }
  /// Past the last entry.
  std::vector<Entry>::const_iterator end() const noexcept { return entries_.end(); }

  /// Equal when they hold the same entries in the same order.
  friend bool operator==(const Headers&, const Headers&) = default;

private:
  std::vector<Entry> entries_;
};

}  // namespace cokka
