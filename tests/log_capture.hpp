// Captures cokka's log records for assertions (level, count, text).
#pragma once

#include <cokka/logging.hpp>

#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace test {

/// One record as cokka wrote it.
struct Record {
  spdlog::level::level_enum level;
  std::string text;
};

/// Makes cokka log (from level debug up) into memory while it lives; restores the previous logger after.
class LogCapture {
public:
  explicit LogCapture(spdlog::level::level_enum level = spdlog::level::debug)
      : previous_(cokka::logger()), sink_(std::make_shared<Sink>()) {
    auto capturing = std::make_shared<spdlog::logger>("cokka-test", sink_);
    capturing->set_level(level);
    cokka::set_logger(capturing);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  ~LogCapture() { cokka::set_logger(previous_); }

  std::vector<Record> records() const { return sink_->records(); }

  /// Records at `level` whose text contains `part` (every record at `level` when `part` is empty).
  std::vector<Record> find(spdlog::level::level_enum level, std::string_view part = {}) const {
    std::vector<Record> found;
    for (auto& record : records())
      if (record.level == level && record.text.find(part) != std::string::npos) found.push_back(record);
    return found;
  }
  std::size_t count(spdlog::level::level_enum level, std::string_view part = {}) const {
    return find(level, part).size();
  }

private:
  class Sink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    std::vector<Record> records() {
      std::lock_guard lock(mutex_);
      return records_;
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& message) override {
      records_.push_back({message.level, std::string(message.payload.data(), message.payload.size())});
    }
    void flush_() override {}

  private:
    std::vector<Record> records_;
  };

  std::shared_ptr<spdlog::logger> previous_;
  std::shared_ptr<Sink> sink_;
};

}  // namespace test
