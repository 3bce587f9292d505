// The HTTP/1.1 of the live view: a request-head parser and the response writer. GET and HEAD only, no request
// bodies: the view is read-only (docs/live-view.md says why it is our own and not a library).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cokka::detail::http {

/// A request head as the parser read it.
struct Request {
  std::string method;
  /// The path, without the query ("/actors.json"); an absolute-form target is reduced to its path.
  std::string path;
  /// HTTP/1.x: 0 or 1.
  int minor_version = 1;
  /// Header fields in arrival order, names lowercased, values without surrounding blanks.
  std::vector<std::pair<std::string, std::string>> headers;
  /// The connection stays open after the response (HTTP/1.1 unless "Connection: close", HTTP/1.0 only with
  /// "Connection: keep-alive").
  bool keep_alive = true;

  /// The value of the first field named `name` (lowercase), or empty.
  std::string_view header(std::string_view name) const;
};

/// Reads one request head from the bytes a connection received, incrementally: it remembers how far it got,
/// so each call only looks at new lines. Never throws except std::bad_alloc; any input is either accepted,
/// incomplete, or refused with a status and a sentence.
class RequestParser {
public:
  enum class State { incomplete, complete, refused };

  /// At most `max_head_bytes` of request line and header fields, and at most `max_fields` fields.
  explicit RequestParser(std::size_t max_head_bytes, std::size_t max_fields = 100) noexcept
      : max_head_bytes_(max_head_bytes), max_fields_(max_fields) {}

  /// Goes on with `received`, every byte received since the request began (the same bytes as the previous
  /// call, maybe with more at the end). Once complete, request() is the request and head_size() the bytes it
  /// took; once refused, status() and reason() say why (400 malformed, 431 too large, 505 not HTTP/1.x).
  State parse(std::string_view received);

  /// Starts over for the next request on the same connection.
  void reset();

  State state() const noexcept { return state_; }
  const Request& request() const noexcept { return request_; }
  std::size_t head_size() const noexcept { return pos_; }
  int status() const noexcept { return status_; }
  const std::string& reason() const noexcept { return reason_; }

private:
  State refuse(int status, std::string reason);
  State take_request_line(std::string_view line);
  State take_field(std::string_view line);
  State finish();

  std::size_t max_head_bytes_;
  std::size_t max_fields_;
  State state_ = State::incomplete;
  std::size_t pos_ = 0;  // bytes of complete lines taken so far
  bool have_request_line_ = false;
  Request request_;
  int status_ = 0;
  std::string reason_;
};

/// A response before it is written.
struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  /// More header fields ("Allow", "Content-Security-Policy").
  std::vector<std::pair<std::string, std::string>> headers;
};

/// "Bad Request" for 400, and so on for the statuses the view uses ("Unknown" for others).
std::string_view reason_phrase(int status) noexcept;

/// The bytes of `response`: status line, Content-Type, Content-Length, no-store caching, nosniff, Connection
/// (keep-alive or close), its own fields, then the body unless `head_only` (a HEAD request).
std::string serialize(const Response& response, bool keep_alive, bool head_only);

}  // namespace cokka::detail::http
