#include "http.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>

namespace cokka::detail::http {

namespace {

// RFC 9110 5.6.2: the characters of a token (methods and field names).
bool is_tchar(unsigned char c) noexcept {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

// Field values: visible ASCII, blanks, and obs-text (bytes of UTF-8 text that clients send anyway).
bool is_field_value_char(unsigned char c) noexcept { return c == '\t' || (c >= 0x20 && c != 0x7f); }

char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim_blanks(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool all_digits(std::string_view text) noexcept {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The path of an origin-form ("/a?b") or absolute-form ("http://host/a?b") target; empty when it is neither.
std::string_view target_path(std::string_view target) noexcept {
  if (target.empty()) return {};
  if (target.front() != '/') {
    const auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return {};
    const auto scheme = target.substr(0, scheme_end);
    if (!iequals(scheme, "http") && !iequals(scheme, "https")) return {};
    const auto path_start = target.find('/', scheme_end + 3);
    if (path_start == std::string_view::npos) return "/";
    target.remove_prefix(path_start);
  }
  return target.substr(0, target.find_first_of("?#"));
}

}  // namespace

std::string_view Request::header(std::string_view name) const {
  for (const auto& [field, value] : headers)
    if (field == name) return value;
  return {};
}

RequestParser::State RequestParser::parse(std::string_view received) {
  while (state_ == State::incomplete) {
    const auto end = received.find('\n', pos_);
    const bool too_long = end == std::string_view::npos ? received.size() > max_head_bytes_ : end + 1 > max_head_bytes_;
    if (too_long) return refuse(431, "the request head is longer than " + std::to_string(max_head_bytes_) + " bytes");
    if (end == std::string_view::npos) return state_;
    auto line = received.substr(pos_, end - pos_);
    pos_ = end + 1;
    // RFC 9112 2.2: a line may end with a bare LF; a CR anywhere else is refused.
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos) return refuse(400, "a bare CR inside a line");
    if (!have_request_line_) {
      if (!line.empty()) take_request_line(line);  // RFC 9112 2.2: empty lines before the request line are skipped
    } else if (line.empty()) {
      finish();
    } else {
      take_field(line);
    }
  }
  return state_;
}

void RequestParser::reset() {
  state_ = State::incomplete;
  pos_ = 0;
  have_request_line_ = false;
  request_ = Request{};
  status_ = 0;
  reason_.clear();
}

RequestParser::State RequestParser::refuse(int status, std::string reason) {
  state_ = State::refused;
  status_ = status;
  reason_ = std::move(reason);
  return state_;
}

RequestParser::State RequestParser::take_request_line(std::string_view line) {
  have_request_line_ = true;
  const auto first_space = line.find(' ');
  const auto second_space = first_space == std::string_view::npos ? first_space : line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos || line.find(' ', second_space + 1) != std::string_view::npos)
    return refuse(400, "the request line is not 'METHOD TARGET HTTP/1.1'");
  const auto method = line.substr(0, first_space);
  const auto target = line.substr(first_space + 1, second_space - first_space - 1);
  const auto version = line.substr(second_space + 1);
  if (!is_token(method)) return refuse(400, "the method is not a token");
  // Visible ASCII only: anything else must be percent-encoded (RFC 3986).
  if (!std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
    return refuse(400, "the request target has a character that must be percent-encoded");
  const auto path = target_path(target);
  if (path.empty()) return refuse(400, "the request target is not a path (origin form) or an http URL (absolute form)");
  const bool http_version = version.size() == 8 && version.substr(0, 5) == "HTTP/" && all_digits(version.substr(5, 1)) &&
                            version[6] == '.' && all_digits(version.substr(7, 1));
  if (!http_version) return refuse(400, "the protocol version is not HTTP/x.y");
  if (version[5] != '1') return refuse(505, "only HTTP/1.0 and HTTP/1.1 are served here");
  request_.method = method;
  request_.path = path;
  request_.minor_version = version[7] == '0' ? 0 : 1;  // HTTP/1.2 and up are answered as 1.1 (RFC 9110 2.5)
  return state_;
}

RequestParser::State RequestParser::take_field(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return refuse(400, "obsolete line folding in a header field");
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return refuse(400, "a header field without a colon");
  const auto name = line.substr(0, colon);
  if (!is_token(name)) return refuse(400, "a header field name that is not a token (no blank before the colon)");
  const auto value = trim_blanks(line.substr(colon + 1));
  if (!std::all_of(value.begin(), value.end(), [](char c) { return is_field_value_char(static_cast<unsigned char>(c)); }))
    return refuse(400, "a control character in a header field value");
  if (request_.headers.size() == max_fields_)
    return refuse(431, "more than " + std::to_string(max_fields_) + " header fields");
  std::string lowered(name);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(), lower);
  request_.headers.emplace_back(std::move(lowered), std::string(value));
  return state_;
}

RequestParser::State RequestParser::finish() {
  std::size_t hosts = 0;
  bool close = false;
  bool keep_alive = false;
  std::string_view length;
  for (const auto& [name, value] : request_.headers) {
    if (name == "host") {
      ++hosts;
    } else if (name == "transfer-encoding") {
      return refuse(400, "requests here have no body (Transfer-Encoding)");
    } else if (name == "content-length") {
      if (!all_digits(value) || (!length.empty() && length != value)) return refuse(400, "an invalid Content-Length");
      length = value;
    } else if (name == "connection") {
      for (std::string_view rest = value; !rest.empty();) {
        const auto comma = rest.find(',');
        const auto option = trim_blanks(rest.substr(0, comma));
        close = close || iequals(option, "close");
        keep_alive = keep_alive || iequals(option, "keep-alive");
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      }
    }
  }
  if (hosts > 1 || (hosts == 0 && request_.minor_version == 1))
    return refuse(400, "an HTTP/1.1 request needs exactly one Host header field");
  if (!length.empty() && length.find_first_not_of('0') != std::string_view::npos)
    return refuse(400, "requests here have no body (Content-Length is not 0)");
  request_.keep_alive = request_.minor_version == 1 ? !close : keep_alive && !close;
  state_ = State::complete;
  return state_;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

std::string serialize(const Response& response, bool keep_alive, bool head_only) {
  // RFC 9110 6.6.1: an origin server with a clock sends Date, in IMF-fixdate.
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[40];
  const auto date_size = std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &utc);

  std::string out;
  out.reserve(256 + (head_only ? 0 : response.body.size()));
  out += "HTTP/1.1 " + std::to_string(response.status) + " " + std::string(reason_phrase(response.status)) + "\r\n";
  out += "Date: " + std::string(date, date_size) + "\r\n";
  out += "Content-Type: " + response.content_type + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  // Everything here describes this moment: never cached, never taken for another type.
  out += "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  if (!head_only) out += response.body;
  return out;
}

}  // namespace cokka::detail::http
